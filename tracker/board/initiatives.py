"""Operations on an initiative itself: propose, edit (including its RAG status), move,
archive and restore."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tracker import events, policy, text
from tracker.board.fields import (
    EDITABLE_FIELDS,
    grand_challenge_on,
    json_value,
    organisation_field,
    rag_field,
    snapshot,
    stage_on,
    stages_for_move,
)
from tracker.board.reading import (
    cell_order,
    closed_up,
    get_board,
    get_initiative,
    locked_initiative,
    place,
)
from tracker.board.versions import (
    check_version,
    versioned_update,
)
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import (
    BARRIERS_MAX,
    NEXT_STEP_MAX,
    RAG_REASON_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    Initiative,
    Stage,
    User,
    utcnow,
)
from tracker.operations import Change, date_field, int_field, text_field
from tracker.vocabulary import (
    INITIATIVE_ARCHIVED,
    INITIATIVE_CREATED,
    INITIATIVE_EDITED,
    INITIATIVE_MOVED,
    INITIATIVE_RESTORED,
    RAG_CHANGED,
    Rag,
)


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
    title = text_field(fields.get("title"), "title", max_len=TITLE_MAX, required=True)
    if fields.get("grand_challenge_id") is None:
        raise Invalid({"grand_challenge_id": "is required"})
    grand_challenge = grand_challenge_on(board_id, fields["grand_challenge_id"])
    if fields.get("stage_id") is None:
        stage = db.session.scalars(
            sa.select(Stage).where(Stage.board_id == board_id).order_by(Stage.position)
        ).first()
        if stage is None:
            raise Invalid({"stage_id": "this board has no stages"})
    else:
        stage = stage_on(board_id, fields["stage_id"])
    org_id = fields.get("proposing_organisation_id")
    if org_id is None:
        org_id = actor.organisation_id
    organisation = organisation_field(org_id, "proposing_organisation_id")
    policy.require(
        policy.may_act_for(actor, organisation.id),
        "You can only propose initiatives for your own organisation.",
    )
    rag = rag_field(fields.get("rag"))
    rag_reason = text_field(fields.get("rag_reason"), "rag_reason", max_len=RAG_REASON_MAX)
    if rag != Rag.NOT_SET and not text.visible(rag_reason):
        raise Invalid({"rag_reason": "a RAG status needs a reason"})

    now = utcnow()
    cell = (stage.id, grand_challenge.id)
    initiative = Initiative(
        board_id=board_id,
        title=title,
        summary=text_field(fields.get("summary"), "summary", max_len=SUMMARY_MAX),
        grand_challenge_id=grand_challenge.id,
        stage_id=stage.id,
        position=len(cell_order(board_id, [cell], None)[cell]),
        rag=rag,
        rag_reason=rag_reason,
        next_step=text_field(fields.get("next_step"), "next_step", max_len=NEXT_STEP_MAX),
        next_step_due=date_field(fields.get("next_step_due"), "next_step_due"),
        barriers=text_field(fields.get("barriers"), "barriers", max_len=BARRIERS_MAX),
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


# Each text field an edit may change: (its most characters, whether it must be given).
_TEXT_FIELDS = {
    "title": (TITLE_MAX, True),
    "summary": (SUMMARY_MAX, False),
    "next_step": (NEXT_STEP_MAX, False),
    "barriers": (BARRIERS_MAX, False),
    "rag_reason": (RAG_REASON_MAX, False),
}


def _cleaned_edit(board_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Each editable field of `changes` checked and in the form it is stored in."""
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name in _TEXT_FIELDS:
            max_len, required = _TEXT_FIELDS[name]
            clean[name] = text_field(value, name, max_len=max_len, required=required)
        elif name == "rag":
            clean[name] = rag_field(value)
        elif name == "next_step_due":
            clean[name] = date_field(value, name)
        elif name == "grand_challenge_id":
            clean[name] = grand_challenge_on(board_id, value).id
        else:  # an editable field with no check here is not edited silently
            raise Invalid({name: "cannot be edited"})
    return clean


def edit(
    actor: User, initiative_id: int, version: Any, changes: dict[str, Any]
) -> Change[Initiative]:
    """Edit fields of an initiative the client saw at `version`.

    Event `initiative_edited`, or `rag_changed` when the RAG status changes; data:
    `{"changes": {field: {"from": old, "to": new}}, "version": new_version}`. A stale version
    is refused with a conflict carrying the current initiative. A RAG change needs a reason.
    Changing nothing writes nothing and returns the initiative as it is.
    """
    version = int_field(version, "version")
    initiative = locked_initiative(initiative_id)
    policy.require(
        policy.may_edit(actor, initiative),
        "Only envoys, admins and organisations involved in this initiative can edit it.",
    )
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise Invalid({name: "cannot be edited" for name in sorted(unknown)})

    clean = _cleaned_edit(initiative.board_id, changes)

    clean = check_version(initiative, version, clean, merge=True)

    diff = {
        name: {"from": json_value(getattr(initiative, name)), "to": json_value(value)}
        for name, value in clean.items()
        if getattr(initiative, name) != value
    }
    if "rag" in diff and not text.visible(clean.get("rag_reason") or ""):
        raise Invalid({"rag_reason": "a RAG change needs a reason"})
    if not diff:
        return Change(get_initiative(initiative_id, fresh=True), None)

    if "grand_challenge_id" in diff:
        # The card leaves its old swimlane cell for the end of the new one.
        old_cell = (initiative.stage_id, initiative.grand_challenge_id)
        new_cell = (initiative.stage_id, clean["grand_challenge_id"])
        cells = cell_order(initiative.board_id, [old_cell, new_cell], initiative.id)
        place(closed_up(cells[old_cell]))
        initiative.position = len(cells[new_cell])

    versioned_update(initiative, initiative.version, {name: clean[name] for name in diff})
    event_type = RAG_CHANGED if "rag" in diff else INITIATIVE_EDITED
    event = events.append(
        board_id=initiative.board_id,
        type=event_type,
        actor=actor,
        initiative_id=initiative.id,
        data={"changes": diff, "version": initiative.version},
    )
    return Change(initiative, event)


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
    version = int_field(version, "version")
    initiative = locked_initiative(initiative_id)
    policy.require(
        policy.may_edit(actor, initiative),
        "Only envoys, admins and organisations involved in this initiative can move it.",
    )
    stage, old_stage = stages_for_move(initiative.board_id, stage_id, initiative.stage_id)
    lane_id = (
        initiative.grand_challenge_id
        if grand_challenge_id is None
        else grand_challenge_on(initiative.board_id, grand_challenge_id).id
    )
    if position is not None:
        position = int_field(position, "position")
        if position < 0:
            raise Invalid({"position": "must be 0 or more"})
    if initiative.archived:
        raise Invalid({"initiative_id": "an archived initiative cannot be moved; restore it"})
    check_version(
        initiative,
        version,
        {"stage_id": stage.id, "grand_challenge_id": lane_id, "position": position},
    )

    before = {
        "stage_id": initiative.stage_id,
        "stage": old_stage.name,
        "grand_challenge_id": initiative.grand_challenge_id,
        "position": initiative.position,
    }
    leaving = (initiative.stage_id, initiative.grand_challenge_id)
    arriving = (stage.id, lane_id)
    cells = cell_order(initiative.board_id, [leaving, arriving], initiative.id)
    target = cells[arriving]
    index = len(target) if position is None else min(position, len(target))
    if leaving == arriving and index == initiative.position:
        return Change(get_initiative(initiative_id, fresh=True), None)
    positions = {} if leaving == arriving else closed_up(cells[leaving])
    order = [card for card, _ in target]
    order.insert(index, initiative.id)
    was = dict(target)
    positions.update(
        {card: i for i, card in enumerate(order) if card != initiative.id and was[card] != i}
    )
    place(positions)
    values: dict[str, Any] = {
        "stage_id": stage.id,
        "grand_challenge_id": lane_id,
        "position": index,
    }
    if stage.id != initiative.stage_id:
        values["stage_entered_at"] = utcnow()
    versioned_update(initiative, initiative.version, values)
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
                "grand_challenge_id": lane_id,
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
    version = int_field(version, "version")
    initiative = locked_initiative(initiative_id)
    policy.require(policy.may(actor, "archive"), "Only envoys and admins can archive initiatives.")
    check_version(initiative, version, {"archived": archived})
    if initiative.archived == archived:
        return Change(get_initiative(initiative_id, fresh=True), None)
    cell = (initiative.stage_id, initiative.grand_challenge_id)
    others = cell_order(initiative.board_id, [cell], initiative.id)[cell]
    place(closed_up(others))
    values: dict[str, Any] = {"archived": archived}
    if not archived:
        values["position"] = len(others)
    versioned_update(initiative, initiative.version, values)
    event = events.append(
        board_id=initiative.board_id,
        type=INITIATIVE_ARCHIVED if archived else INITIATIVE_RESTORED,
        actor=actor,
        initiative_id=initiative.id,
        data={"version": initiative.version},
    )
    return Change(initiative, event)
