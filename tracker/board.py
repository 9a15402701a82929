"""Domain operations on a board: propose, edit (including RAG), move, archive, claim, release,
comment.

Each is a plain function taking an explicit `actor` and ids. It checks the policy, validates
its input, changes rows and appends exactly one event, all in the caller's transaction, and
returns what it changed with that event. It never commits: the entry point commits, then
publishes the event. On any error it raises a `DomainError`; the caller rolls back, so nothing
is half-written and no sequence number is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy import orm

from tracker import events, limits, policy, text
from tracker.errors import Conflict, Invalid, NotFound
from tracker.extensions import db
from tracker.models import (
    BARRIERS_MAX,
    COMMENT_MAX,
    NEXT_STEP_MAX,
    RAG_REASON_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    Board,
    Claim,
    Comment,
    Event,
    GrandChallenge,
    Initiative,
    Organisation,
    RoleType,
    Stage,
    User,
    utcnow,
)
from tracker.vocabulary import Rag, field_list

# Event types, as they appear in the log, the API and over Socket.IO.
INITIATIVE_CREATED = "initiative_created"
INITIATIVE_EDITED = "initiative_edited"
RAG_CHANGED = "rag_changed"
INITIATIVE_MOVED = "initiative_moved"
INITIATIVE_ARCHIVED = "initiative_archived"
INITIATIVE_RESTORED = "initiative_restored"
ROLE_CLAIMED = "role_claimed"
ROLE_RELEASED = "role_released"
COMMENT_ADDED = "comment_added"

# Fields that hold paragraphs: tab and line breaks allowed (tracker.text). Every other text
# field is a single line. The page forms use a <textarea> for exactly these.
MULTI_LINE_FIELDS = frozenset({"summary", "rag_reason", "barriers", "body"})

EDITABLE_FIELDS = (
    "title",
    "summary",
    "grand_challenge_id",
    "rag",
    "rag_reason",
    "next_step",
    "next_step_due",
    "barriers",
)

T = TypeVar("T")


@dataclass(frozen=True)
class Change(Generic[T]):
    """What an operation changed, and the event that records it (None when nothing changed)."""

    value: T
    event: Event | None


# --- loading ------------------------------------------------------------------------------


def get_board(board_id: int) -> Board:
    board = db.session.get(Board, board_id)
    if board is None:
        raise NotFound(f"Board {board_id} does not exist.", {"board_id": "no such board"})
    return board


def get_initiative(initiative_id: int, *, fresh: bool = False) -> Initiative:
    initiative = db.session.get(
        Initiative,
        initiative_id,
        populate_existing=fresh,
        options=[orm.selectinload(Initiative.claims)],
    )
    if initiative is None:
        raise NotFound(
            f"Initiative {initiative_id} does not exist.", {"initiative_id": "no such initiative"}
        )
    return initiative


def _locked_initiative(initiative_id: int) -> Initiative:
    """Find the initiative's board, lock it, then read the initiative as committed now."""
    board_id = db.session.scalar(
        sa.select(Initiative.board_id).where(Initiative.id == initiative_id)
    )
    if board_id is None:
        raise NotFound(
            f"Initiative {initiative_id} does not exist.", {"initiative_id": "no such initiative"}
        )
    events.lock_board(board_id)
    db.session.expire_all()
    return get_initiative(initiative_id, fresh=True)


# --- validation ---------------------------------------------------------------------------


def _text(value: Any, field: str, *, max_len: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid({field: "must be text"})
    value = text.clean(value, field, multiline=field in MULTI_LINE_FIELDS).strip()
    if required and not value:
        raise Invalid({field: "is required"})
    if len(value) > max_len:
        raise Invalid({field: f"must be at most {max_len} characters (got {len(value)})"})
    return value


def _date(value: Any, field: str) -> date | None:
    """A date as YYYY-MM-DD (or a `date`), within the years the tracker serves."""
    if value is None or value == "":
        return None
    day: date | None = None
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
    if day is None:
        raise Invalid({field: "must be a date as YYYY-MM-DD"})
    if not limits.day_in_range(day):
        raise Invalid({field: limits.DAY_RANGE})
    return day


def _rag(value: Any) -> str:
    if value is None:
        return Rag.NOT_SET.value
    if not isinstance(value, str) or value not in {r.value for r in Rag}:
        raise Invalid({"rag": "must be one of red, amber, green, not_set"})
    return value


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid({field: "must be an integer"})
    return value


def _stage_on(board_id: int, stage_id: Any) -> Stage:
    stage_id = _int(stage_id, "stage_id")
    stage = db.session.get(Stage, stage_id)
    if stage is None or stage.board_id != board_id:
        raise Invalid({"stage_id": "no such stage on this board"})
    return stage


def _challenge_on(board_id: int, challenge_id: Any) -> GrandChallenge:
    challenge_id = _int(challenge_id, "grand_challenge_id")
    challenge = db.session.get(GrandChallenge, challenge_id)
    if challenge is None or challenge.board_id != board_id:
        raise Invalid({"grand_challenge_id": "no such Grand Challenge on this board"})
    return challenge


def _organisation(organisation_id: Any, field: str = "organisation_id") -> Organisation:
    organisation_id = _int(organisation_id, field)
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise Invalid({field: "no such organisation"})
    if not organisation.active:
        raise Invalid({field: "this organisation is deactivated"})
    return organisation


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def snapshot(initiative: Initiative) -> dict[str, Any]:
    """The initiative's fields as plain JSON, as recorded in its `initiative_created` event."""
    return {
        "id": initiative.id,
        "title": initiative.title,
        "summary": initiative.summary,
        "grand_challenge_id": initiative.grand_challenge_id,
        "stage_id": initiative.stage_id,
        "position": initiative.position,
        "rag": initiative.rag,
        "rag_reason": initiative.rag_reason,
        "next_step": initiative.next_step,
        "next_step_due": _json_value(initiative.next_step_due),
        "barriers": initiative.barriers,
        "proposing_organisation_id": initiative.proposing_organisation_id,
        "archived": initiative.archived,
        "version": initiative.version,
    }


# --- positions ----------------------------------------------------------------------------


def _cell(board_id: int, stage_id: int, challenge_id: int, exclude: int | None) -> list[Initiative]:
    """Live initiatives in one stage × Grand Challenge cell, in display order."""
    query = (
        sa.select(Initiative)
        .where(
            Initiative.board_id == board_id,
            Initiative.stage_id == stage_id,
            Initiative.grand_challenge_id == challenge_id,
            Initiative.archived.is_(False),
        )
        .order_by(Initiative.position, Initiative.id)
    )
    if exclude is not None:
        query = query.where(Initiative.id != exclude)
    return list(db.session.scalars(query))


def _renumber(cards: list[Initiative]) -> None:
    for index, card in enumerate(cards):
        if card.position != index:
            card.position = index


# --- operations ---------------------------------------------------------------------------


def propose(actor: User, board_id: int, fields: dict[str, Any]) -> Change[Initiative]:
    """Propose a new initiative. Event `initiative_created`, data: the initiative's fields.

    `fields`: title (required), summary, grand_challenge_id (required), stage_id (default: the
    first stage), rag, rag_reason, next_step, next_step_due, barriers, proposing_organisation_id
    (default and, for members, only: the actor's organisation).
    """
    policy.require(policy.may(actor, "propose"), "Your account cannot propose initiatives.")
    get_board(board_id)
    events.lock_board(board_id)

    unknown = set(fields) - {*EDITABLE_FIELDS, "stage_id", "proposing_organisation_id"}
    if unknown:
        raise Invalid({name: "is not a field of an initiative" for name in sorted(unknown)})
    title = _text(fields.get("title"), "title", max_len=TITLE_MAX, required=True)
    if fields.get("grand_challenge_id") is None:
        raise Invalid({"grand_challenge_id": "is required"})
    challenge = _challenge_on(board_id, fields["grand_challenge_id"])
    if fields.get("stage_id") is None:
        stage = db.session.scalars(
            sa.select(Stage).where(Stage.board_id == board_id).order_by(Stage.position)
        ).first()
        if stage is None:
            raise Invalid({"stage_id": "this board has no stages"})
    else:
        stage = _stage_on(board_id, fields["stage_id"])
    org_id = fields.get("proposing_organisation_id")
    if org_id is None:
        org_id = actor.organisation_id
    organisation = _organisation(org_id, "proposing_organisation_id")
    policy.require(
        policy.may_act_for(actor, organisation.id),
        "You can only propose initiatives for your own organisation.",
    )
    rag = _rag(fields.get("rag"))
    rag_reason = _text(fields.get("rag_reason"), "rag_reason", max_len=RAG_REASON_MAX)
    if rag != Rag.NOT_SET and not rag_reason:
        raise Invalid({"rag_reason": "a RAG status needs a reason"})

    now = utcnow()
    initiative = Initiative(
        board_id=board_id,
        title=title,
        summary=_text(fields.get("summary"), "summary", max_len=SUMMARY_MAX),
        grand_challenge_id=challenge.id,
        stage_id=stage.id,
        position=len(_cell(board_id, stage.id, challenge.id, None)),
        rag=rag,
        rag_reason=rag_reason,
        next_step=_text(fields.get("next_step"), "next_step", max_len=NEXT_STEP_MAX),
        next_step_due=_date(fields.get("next_step_due"), "next_step_due"),
        barriers=_text(fields.get("barriers"), "barriers", max_len=BARRIERS_MAX),
        proposing_organisation_id=organisation.id,
        version=1,
        created_at=now,
        updated_at=now,
        stage_entered_at=now,
    )
    db.session.add(initiative)
    db.session.flush()
    event = events.append(
        board_id=board_id,
        type=INITIATIVE_CREATED,
        actor=actor,
        initiative_id=initiative.id,
        data={"initiative": snapshot(initiative)},
    )
    return Change(initiative, event)


def edit(
    actor: User, initiative_id: int, version: Any, changes: dict[str, Any]
) -> Change[Initiative]:
    """Edit fields of an initiative the client saw at `version`.

    Event `initiative_edited`, or `rag_changed` when the RAG status changes; data:
    `{"changes": {field: {"from": old, "to": new}}, "version": new_version}`. A stale version
    is refused with a conflict carrying the current initiative. A RAG change needs a reason.
    Changing nothing writes nothing and returns the initiative as it is.
    """
    version = _int(version, "version")
    initiative = _locked_initiative(initiative_id)
    policy.require(
        policy.may_edit(actor, initiative),
        "Only envoys, admins and organisations involved in this initiative can edit it.",
    )
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise Invalid({name: "cannot be edited" for name in sorted(unknown)})

    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "title":
            clean[name] = _text(value, name, max_len=TITLE_MAX, required=True)
        elif name == "summary":
            clean[name] = _text(value, name, max_len=SUMMARY_MAX)
        elif name == "next_step":
            clean[name] = _text(value, name, max_len=NEXT_STEP_MAX)
        elif name == "barriers":
            clean[name] = _text(value, name, max_len=BARRIERS_MAX)
        elif name == "rag_reason":
            clean[name] = _text(value, name, max_len=RAG_REASON_MAX)
        elif name == "rag":
            clean[name] = _rag(value)
        elif name == "next_step_due":
            clean[name] = _date(value, name)
        elif name == "grand_challenge_id":
            clean[name] = _challenge_on(initiative.board_id, value).id

    clean = _check_version(initiative, version, clean, merge=True)

    diff = {
        name: {"from": _json_value(getattr(initiative, name)), "to": _json_value(value)}
        for name, value in clean.items()
        if getattr(initiative, name) != value
    }
    if "rag" in diff and not clean.get("rag_reason"):
        raise Invalid({"rag_reason": "a RAG change needs a reason"})
    if not diff:
        return Change(get_initiative(initiative_id, fresh=True), None)

    if "grand_challenge_id" in diff:
        # The card leaves its old swimlane cell for the end of the new one.
        old_cell = _cell(
            initiative.board_id, initiative.stage_id, initiative.grand_challenge_id, initiative.id
        )
        _renumber(old_cell)
        new_cell = _cell(
            initiative.board_id, initiative.stage_id, clean["grand_challenge_id"], initiative.id
        )
        initiative.position = len(new_cell)

    _versioned_update(initiative, initiative.version, {name: clean[name] for name in diff})
    event_type = RAG_CHANGED if "rag" in diff else INITIATIVE_EDITED
    event = events.append(
        board_id=initiative.board_id,
        type=event_type,
        actor=actor,
        initiative_id=initiative.id,
        data={"changes": diff, "version": initiative.version},
    )
    return Change(initiative, event)


def set_rag(
    actor: User, initiative_id: int, version: Any, rag: Any, reason: Any
) -> Change[Initiative]:
    """Set the RAG status with its reason. Event `rag_changed`."""
    return edit(actor, initiative_id, version, {"rag": rag, "rag_reason": reason})


MOVE_FIELDS = ("stage_id", "position", "grand_challenge_id")


def values_at_version(initiative_id: int, version: int) -> dict[str, Any]:
    """For each field changed after `version`: its value at `version` (as JSON: dates are
    ISO strings), read from the initiative's events. A field absent from the result has not
    been touched since."""
    rows = db.session.scalars(
        sa.select(Event)
        .where(
            Event.initiative_id == initiative_id,
            Event.type.in_(
                [
                    INITIATIVE_EDITED,
                    RAG_CHANGED,
                    INITIATIVE_MOVED,
                    INITIATIVE_ARCHIVED,
                    INITIATIVE_RESTORED,
                ]
            ),
        )
        .order_by(Event.seq)
    )
    before: dict[str, Any] = {}
    for event in rows:
        if event.data.get("version", 0) <= version:
            continue
        # The first change after `version` says what the value was at `version`.
        if event.type in (INITIATIVE_EDITED, RAG_CHANGED):
            for name, change in event.data["changes"].items():
                before.setdefault(name, change["from"])
        elif event.type == INITIATIVE_MOVED:
            for name in MOVE_FIELDS:
                before.setdefault(name, event.data["from"].get(name))
        else:
            before.setdefault("archived", event.type == INITIATIVE_RESTORED)
    return before


def _check_version(
    initiative: Initiative, version: int, wanted: dict[str, Any], *, merge: bool = False
) -> dict[str, Any]:
    """Field-level optimistic concurrency, as a three-way merge of the value at the client's
    `version`, the current value and the value the client asks for (`wanted`: field → value
    as the model holds it). Returns what to apply.

    For each field someone else changed since `version`:
    - with `merge` (an edit, whose form sends every field), the client sent it back as it was
      at `version` (it did not touch it): theirs stands, and the field is left out of what is
      applied. Without (a move or an archive, which asks for a place or a state outright),
      that is a conflict like any other;
    - the client asks for the value it has now: nothing to do;
    - the client asks for yet another value: both changed it, a conflict. Every such field
      is named with its current value, and the current initiative goes with the refusal.
    Fields nobody else changed apply as asked; a field changed and changed back since counts
    as unchanged.
    """
    if version == initiative.version:
        return wanted
    if version > initiative.version:
        raise Conflict(
            f"Version {version} does not exist yet (the initiative is at version "
            f"{initiative.version}).",
            {"version": f"unknown: current version is {initiative.version}"},
            current=initiative,
        )
    then = values_at_version(initiative.id, version)
    apply: dict[str, Any] = {}
    overlap: list[str] = []
    for name, value in wanted.items():
        now = _json_value(getattr(initiative, name))
        if name not in then or then[name] == now:
            apply[name] = value
        elif merge and _json_value(value) == then[name]:
            continue  # left as the client saw it: the other change stands
        elif _json_value(value) != now:
            overlap.append(name)
    if overlap:
        overlap.sort()
        reasons = {
            name: f"changed by someone else since version {version}; now "
            f"{_json_value(getattr(initiative, name))!r}"
            for name in overlap
        }
        raise Conflict(
            f"Someone else changed the {field_list(overlap)} since you loaded version {version} "
            f"(it is now at version {initiative.version}).",
            reasons,
            current=initiative,
        )
    return apply


def _versioned_update(initiative: Initiative, version: int, values: dict[str, Any]) -> None:
    """Write `values` only if the row is still at `version`: the database decides, so two
    writers that both read version N cannot both succeed."""
    now = utcnow()
    result = db.session.execute(
        sa.update(Initiative)
        .where(Initiative.id == initiative.id, Initiative.version == version)
        .values(**values, version=Initiative.version + 1, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.refresh(initiative)
        raise Conflict(
            "This initiative was changed by someone else.",
            {"version": f"stale: current version is {initiative.version}"},
            current=initiative,
        )
    db.session.flush()
    db.session.refresh(initiative)


def move(
    actor: User,
    initiative_id: int,
    version: Any,
    stage_id: Any,
    position: Any = None,
    grand_challenge_id: Any = None,
) -> Change[Initiative]:
    """Move a card to `stage_id` (and optionally another Grand Challenge swimlane) at
    `position`, the 0-based index among the live cards of that stage and swimlane (past the
    end means last). Event `initiative_moved`, data: `{"from": {stage_id, stage, position,
    grand_challenge_id}, "to": {...}, "version": new_version}`.
    """
    version = _int(version, "version")
    initiative = _locked_initiative(initiative_id)
    policy.require(
        policy.may_edit(actor, initiative),
        "Only envoys, admins and organisations involved in this initiative can move it.",
    )
    stage = _stage_on(initiative.board_id, stage_id)
    challenge = (
        initiative.grand_challenge
        if grand_challenge_id is None
        else _challenge_on(initiative.board_id, grand_challenge_id)
    )
    if position is not None:
        position = _int(position, "position")
        if position < 0:
            raise Invalid({"position": "must be 0 or more"})
    if initiative.archived:
        raise Invalid({"initiative_id": "an archived initiative cannot be moved; restore it"})
    _check_version(
        initiative,
        version,
        {"stage_id": stage.id, "grand_challenge_id": challenge.id, "position": position},
    )

    before = {
        "stage_id": initiative.stage_id,
        "stage": initiative.stage.name,
        "grand_challenge_id": initiative.grand_challenge_id,
        "position": initiative.position,
    }
    same_cell = initiative.stage_id == stage.id and initiative.grand_challenge_id == challenge.id
    if not same_cell:
        _renumber(
            _cell(
                initiative.board_id,
                initiative.stage_id,
                initiative.grand_challenge_id,
                initiative.id,
            )
        )
    target = _cell(initiative.board_id, stage.id, challenge.id, initiative.id)
    index = len(target) if position is None else min(position, len(target))
    if same_cell and index == initiative.position:
        return Change(get_initiative(initiative_id, fresh=True), None)
    target.insert(index, initiative)
    for i, card in enumerate(target):
        if card is not initiative and card.position != i:
            card.position = i
    values: dict[str, Any] = {
        "stage_id": stage.id,
        "grand_challenge_id": challenge.id,
        "position": index,
    }
    if stage.id != initiative.stage_id:
        values["stage_entered_at"] = utcnow()
    db.session.flush()
    _versioned_update(initiative, initiative.version, values)
    event = events.append(
        board_id=initiative.board_id,
        type=INITIATIVE_MOVED,
        actor=actor,
        initiative_id=initiative.id,
        data={
            "from": before,
            "to": {
                "stage_id": stage.id,
                "stage": stage.name,
                "grand_challenge_id": challenge.id,
                "position": index,
            },
            "version": initiative.version,
        },
    )
    return Change(initiative, event)


def archive(
    actor: User, initiative_id: int, version: Any, archived: bool = True
) -> Change[Initiative]:
    """Archive (or restore) an initiative. Event `initiative_archived` / `initiative_restored`,
    data: `{"version": new_version}`."""
    version = _int(version, "version")
    initiative = _locked_initiative(initiative_id)
    policy.require(policy.may(actor, "archive"), "Only envoys and admins can archive initiatives.")
    _check_version(initiative, version, {"archived": archived})
    if initiative.archived == archived:
        return Change(get_initiative(initiative_id, fresh=True), None)
    cell = _cell(
        initiative.board_id, initiative.stage_id, initiative.grand_challenge_id, initiative.id
    )
    _renumber(cell)
    values: dict[str, Any] = {"archived": archived}
    if not archived:
        values["position"] = len(cell)
    db.session.flush()
    _versioned_update(initiative, initiative.version, values)
    event = events.append(
        board_id=initiative.board_id,
        type=INITIATIVE_ARCHIVED if archived else INITIATIVE_RESTORED,
        actor=actor,
        initiative_id=initiative.id,
        data={"version": initiative.version},
    )
    return Change(initiative, event)


def claim(
    actor: User, initiative_id: int, role_type_id: Any, organisation_id: Any
) -> Change[Claim]:
    """Claim a role on an initiative for an organisation. Event `role_claimed`, data:
    `{"claim_id", "role_type_id", "role", "organisation_id", "organisation", "exclusive"}`.

    A role whose maximum is reached (an exclusive role already held) is refused with a
    conflict; so is a second claim of the same role by the same organisation.
    """
    role_type_id = _int(role_type_id, "role_type_id")
    organisation_id = _int(organisation_id, "organisation_id")
    policy.require(policy.may(actor, "claim"), "Your account cannot claim roles.")
    initiative = _locked_initiative(initiative_id)
    role_type = db.session.get(RoleType, role_type_id)
    if role_type is None or role_type.board_id != initiative.board_id:
        raise Invalid({"role_type_id": "no such role type on this board"})
    organisation = _organisation(organisation_id)
    policy.require(
        policy.may_act_for(actor, organisation.id),
        "Members can claim roles only for their own organisation.",
    )
    if initiative.archived:
        raise Invalid({"initiative_id": "roles cannot be claimed on an archived initiative"})

    holders = [c for c in initiative.claims if c.role_type_id == role_type.id]
    if any(c.organisation_id == organisation.id for c in holders):
        raise Conflict(
            f"{organisation.name} already holds {role_type.name} on this initiative.",
            {"organisation_id": "already holds this role"},
        )
    slot: int | None = None
    if role_type.max_holders is not None:
        taken = {c.slot for c in holders}
        free = [s for s in range(role_type.max_holders) if s not in taken]
        if not free:
            names = ", ".join(c.organisation.name for c in holders)
            raise Conflict(
                f"{role_type.name} is already held by {names}.",
                {"role_type_id": f"{role_type.name} is full"},
            )
        slot = free[0]

    new_claim = Claim(
        initiative_id=initiative.id,
        role_type_id=role_type.id,
        organisation_id=organisation.id,
        slot=slot,
        claimed_by_id=actor.id,
        claimed_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(new_claim)
    except sa.exc.IntegrityError as error:
        # The board lock makes this rare; the constraint is the last word in a race.
        raise Conflict(
            f"{role_type.name} was claimed by someone else at the same moment.",
            {"role_type_id": f"{role_type.name} is full"},
        ) from error
    event = events.append(
        board_id=initiative.board_id,
        type=ROLE_CLAIMED,
        actor=actor,
        initiative_id=initiative.id,
        data=_claim_data(new_claim, role_type, organisation),
    )
    return Change(new_claim, event)


def _claim_data(c: Claim, role_type: RoleType, organisation: Organisation) -> dict[str, Any]:
    return {
        "claim_id": c.id,
        "role_type_id": role_type.id,
        "role": role_type.name,
        "organisation_id": organisation.id,
        "organisation": organisation.name,
        "exclusive": role_type.exclusive,
    }


def release(actor: User, claim_id: int) -> Change[None]:
    """Release a claim. Event `role_released`, data as for `role_claimed`."""
    policy.require(policy.may(actor, "release"), "Your account cannot release roles.")
    initiative_id = db.session.scalar(sa.select(Claim.initiative_id).where(Claim.id == claim_id))
    if initiative_id is None:
        raise NotFound(f"Claim {claim_id} does not exist.", {"claim_id": "no such claim"})
    initiative = _locked_initiative(initiative_id)
    existing = db.session.get(Claim, claim_id)
    if existing is None:
        raise NotFound(f"Claim {claim_id} does not exist.", {"claim_id": "no such claim"})
    policy.require(
        policy.may_release(actor, existing),
        "Members can release only their own organisation's roles.",
    )
    data = _claim_data(existing, existing.role_type, existing.organisation)
    db.session.delete(existing)
    db.session.flush()
    event = events.append(
        board_id=initiative.board_id,
        type=ROLE_RELEASED,
        actor=actor,
        initiative_id=initiative.id,
        data=data,
    )
    return Change(None, event)


def add_comment(actor: User, initiative_id: int, body: Any) -> Change[Comment]:
    """Add a progress note. Event `comment_added`, data: `{"comment_id", "body"}`."""
    policy.require(policy.may(actor, "comment"), "Your account cannot comment.")
    initiative = _locked_initiative(initiative_id)
    text = _text(body, "body", max_len=COMMENT_MAX, required=True)
    comment = Comment(
        initiative_id=initiative.id,
        author_id=actor.id,
        organisation_id=actor.organisation_id,
        body=text,
        created_at=utcnow(),
    )
    db.session.add(comment)
    db.session.flush()
    event = events.append(
        board_id=initiative.board_id,
        type=COMMENT_ADDED,
        actor=actor,
        initiative_id=initiative.id,
        data={"comment_id": comment.id, "body": text},
    )
    return Change(comment, event)


# --- reading ------------------------------------------------------------------------------


def board_initiatives(board_id: int, *, include_archived: bool = False) -> list[Initiative]:
    """Every card of a board with its claims, in a fixed number of queries."""
    query = (
        sa.select(Initiative)
        .where(Initiative.board_id == board_id)
        .options(
            # subqueryload, not selectinload: one query however many cards (selectinload
            # splits its IN list every 500 parents, so the query count grew with the board).
            orm.subqueryload(Initiative.claims).options(
                orm.joinedload(Claim.organisation),
                orm.joinedload(Claim.role_type),
                orm.joinedload(Claim.claimed_by),
            ),
            orm.joinedload(Initiative.proposing_organisation),
        )
        .order_by(Initiative.stage_id, Initiative.grand_challenge_id, Initiative.position)
    )
    if not include_archived:
        query = query.where(Initiative.archived.is_(False))
    return list(db.session.scalars(query).unique())


def load_board(board_id: int) -> Board:
    board = db.session.get(
        Board,
        board_id,
        options=[
            orm.selectinload(Board.stages),
            orm.selectinload(Board.grand_challenges),
            orm.selectinload(Board.role_types),
        ],
    )
    if board is None:
        raise NotFound(f"Board {board_id} does not exist.", {"board_id": "no such board"})
    return board
