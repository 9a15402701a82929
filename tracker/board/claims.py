"""Operations of partners on an initiative: claim and release a role, add a progress note."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tracker import events, mentions, policy
from tracker.board.fields import (
    organisation_field,
)
from tracker.board.reading import (
    locked_initiative,
)
from tracker.errors import Conflict, Invalid, NotFound
from tracker.extensions import db
from tracker.models import (
    COMMENT_MAX,
    Claim,
    Comment,
    Event,
    Initiative,
    Organisation,
    RoleRequest,
    RoleType,
    User,
    WantedRole,
    utcnow,
)
from tracker.operations import Change, int_field, text_field
from tracker.vocabulary import (
    COMMENT_ADDED,
    ROLE_CLAIMED,
    ROLE_RELEASED,
)


def claim(
    actor: User, initiative_id: int, role_type_id: Any, organisation_id: Any
) -> Change[Claim]:
    """Claim a role on an initiative for an organisation. Event `role_claimed`, data:
    `{"claim_id", "role_type_id", "role", "organisation_id", "organisation", "exclusive"}`,
    `"wanted": brief` when it fills a role marked wanted (which stops being wanted), and
    `"request_id"` when it answers the organisation's open request for the role.

    A role whose maximum is reached (an exclusive role already held) is refused with a
    conflict; so is a second claim of the same role by the same organisation. A role agreed
    by request (`RoleType.claim_mode`) is asked for (`tracker.board.matching`); envoys and
    admins, who decide requests, may still claim it for an organisation.
    """
    role_type_id = int_field(role_type_id, "role_type_id")
    organisation_id = int_field(organisation_id, "organisation_id")
    policy.require(policy.may(actor, "claim"), "Your account cannot claim roles.")
    initiative = locked_initiative(initiative_id)
    role_type = db.session.get(RoleType, role_type_id)
    if role_type is None or role_type.board_id != initiative.board_id:
        raise Invalid({"role_type_id": "no such role type on this board"})
    organisation = organisation_field(organisation_id)
    policy.require(
        policy.may_act_for(actor, organisation.id),
        "Members can claim roles only for their own organisation.",
    )
    policy.require(
        role_type.claim_mode != "request" or policy.may(actor, "act_for_any_organisation"),
        f"{role_type.name} is agreed by request on this board: ask for it, with a message.",
    )
    new_claim, event = place_claim(actor, initiative, role_type, organisation, {})
    return Change(new_claim, event)


def can_hold(
    initiative: Initiative, role_type: RoleType, organisation: Organisation
) -> list[Claim]:
    """The role's holders on the initiative, after refusing (409) a role the organisation
    holds already, or one whose maximum is reached."""
    holders = [c for c in initiative.claims if c.role_type_id == role_type.id]
    if any(c.organisation_id == organisation.id for c in holders):
        raise Conflict(
            f"{organisation.name} already holds {role_type.name} on this initiative.",
            {"organisation_id": "already holds this role"},
        )
    if role_type.max_holders is not None and len(holders) >= role_type.max_holders:
        names = ", ".join(c.organisation.name for c in holders)
        raise Conflict(
            f"{role_type.name} is already held by {names}.",
            {"role_type_id": f"{role_type.name} is full"},
        )
    return holders


def place_claim(
    actor: User,
    initiative: Initiative,
    role_type: RoleType,
    organisation: Organisation,
    extra: dict[str, Any],
) -> tuple[Claim, Event]:
    """Make the claim and its `role_claimed` event (data: `_claim_data` and `extra`), once
    permission is settled; the initiative's board is locked. Raises `Invalid` on an archived
    initiative and `Conflict` when the organisation holds the role already or the role is
    full (the database's constraint has the last word in a race)."""
    if initiative.archived:
        raise Invalid({"initiative_id": "roles cannot be claimed on an archived initiative"})
    holders = can_hold(initiative, role_type, organisation)
    slot: int | None = None
    if role_type.max_holders is not None:
        taken = {c.slot for c in holders}
        slot = next(s for s in range(role_type.max_holders) if s not in taken)

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
    data = _claim_data(new_claim, role_type, organisation) | extra
    if "request_id" not in data:
        # The organisation's open request for the role is answered by the claim: it holds it.
        asked = db.session.scalar(
            sa.select(RoleRequest).where(
                RoleRequest.initiative_id == initiative.id,
                RoleRequest.role_type_id == role_type.id,
                RoleRequest.organisation_id == organisation.id,
                RoleRequest.status == "open",
            )
        )
        if asked is not None:
            asked.status, asked.decided_by_id, asked.decided_at = "approved", actor.id, utcnow()
            data["request_id"] = asked.id
    wanted = db.session.scalar(
        sa.select(WantedRole).where(
            WantedRole.initiative_id == initiative.id, WantedRole.role_type_id == role_type.id
        )
    )
    if wanted is not None:
        data["wanted"] = wanted.brief
        db.session.delete(wanted)
        db.session.flush()
    event = events.append(
        board_id=initiative.board_id,
        type=ROLE_CLAIMED,
        actor=actor,
        initiative_id=initiative.id,
        data=data,
    )
    return new_claim, event


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
    initiative = locked_initiative(initiative_id)
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
    """Add a progress note, its mentions checked (`tracker.mentions`). Event `comment_added`,
    data: `{"comment_id", "body"}`, and `"mentions": {"users": [ids], "organisations": [ids]}`
    when it names anyone."""
    policy.require(policy.may(actor, "comment"), "Your account cannot comment.")
    initiative = locked_initiative(initiative_id)
    text = text_field(body, "body", max_len=COMMENT_MAX, required=True)
    text, mentioned = mentions.checked(text)
    if len(text) > COMMENT_MAX:  # today's names may be longer than the ones typed
        raise Invalid({"body": f"must be at most {COMMENT_MAX} characters (got {len(text)})"})
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
        data={"comment_id": comment.id, "body": text}
        | ({"mentions": mentioned.as_data()} if mentioned.users or mentioned.organisations else {}),
    )
    return Change(comment, event)
