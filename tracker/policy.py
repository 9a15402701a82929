"""Who may do what: the brief's permission table in one place, used by every entry point.

| action            | admin | envoy | member                                | viewer |
|-------------------|-------|-------|---------------------------------------|--------|
| view              | yes   | yes   | yes                                   | yes    |
| propose           | yes   | yes   | yes (for their own organisation)      | no     |
| edit / move       | any   | any   | where their organisation holds a role |        |
|                   |       |       | or proposed the initiative            | no     |
| archive / restore | yes   | yes   | no                                    | no     |
| claim             | any   | any   | for their own organisation            | no     |
| release           | any   | any   | their own organisation's claims       | no     |
| comment           | yes   | yes   | yes                                   | no     |
| want a role,      | any   | any   | where their organisation leads the    | no     |
| decide a request  |       |       | initiative (`may_decide`)             |        |
| request a role,   | any   | any   | for their own organisation            | no     |
| register interest |       |       |                                       |        |
| invite, close     | yes   | yes   | no                                    | no     |
| an interest       |       |       |                                       |        |
| export            | yes   | yes   | yes                                   | yes    |
| administer        | yes   | no    | no                                    | no     |
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from tracker.errors import Forbidden
from tracker.models import Claim, User
from tracker.vocabulary import AccountRole

ADMIN, ENVOY, MEMBER, VIEWER = (
    AccountRole.ADMIN,
    AccountRole.ENVOY,
    AccountRole.MEMBER,
    AccountRole.VIEWER,
)

ROLES_ALLOWED: dict[str, frozenset[str]] = {
    "view": frozenset({ADMIN, ENVOY, MEMBER, VIEWER}),
    "propose": frozenset({ADMIN, ENVOY, MEMBER}),
    "edit_any": frozenset({ADMIN, ENVOY}),
    "archive": frozenset({ADMIN, ENVOY}),
    "act_for_any_organisation": frozenset({ADMIN, ENVOY}),
    "claim": frozenset({ADMIN, ENVOY, MEMBER}),
    "release": frozenset({ADMIN, ENVOY, MEMBER}),
    "comment": frozenset({ADMIN, ENVOY, MEMBER}),
    "request": frozenset({ADMIN, ENVOY, MEMBER}),
    "invite": frozenset({ADMIN, ENVOY}),
    "export": frozenset({ADMIN, ENVOY, MEMBER, VIEWER}),
    "administer": frozenset({ADMIN}),
}


class _Held(Protocol):
    @property
    def organisation_id(self) -> int: ...


class Editable(Protocol):
    """What `may_edit` reads of an initiative: the ORM `Initiative`, or a card of the board
    listing (`tracker.board.listing.BoardCard`)."""

    @property
    def proposing_organisation_id(self) -> int: ...

    @property
    def claims(self) -> Sequence[_Held]: ...


def may(actor: User, action: str) -> bool:
    return actor.is_active and actor.role in ROLES_ALLOWED[action]


def may_act_for(actor: User, organisation_id: int) -> bool:
    """Admins and envoys act for any organisation; members only for their own."""
    return may(actor, "act_for_any_organisation") or actor.organisation_id == organisation_id


def may_see_organisation(actor: User, organisation_id: int) -> bool:
    """An organisation's page (its work across the boards): its own people, and envoys and
    admins for any organisation (issue 13)."""
    return may_act_for(actor, organisation_id)


def may_edit(actor: User, initiative: Editable) -> bool:
    return edit_rule(actor)(initiative)


def edit_rule(actor: User) -> Callable[[Editable], bool]:
    """`may_edit` for one actor, to ask of many initiatives (a board's cards): the part that
    depends on the actor alone (their role, whether they are active) is decided once."""
    if may(actor, "edit_any"):
        return lambda _initiative: True
    if actor.role != MEMBER or not actor.is_active:
        return lambda _initiative: False
    org = actor.organisation_id

    def holds_or_proposed(initiative: Editable) -> bool:
        return initiative.proposing_organisation_id == org or any(
            claim.organisation_id == org for claim in initiative.claims
        )

    return holds_or_proposed


def may_decide(actor: User, lead_organisation_id: int) -> bool:
    """Mark a role wanted or withdraw it, approve or decline a request: envoys and admins, and
    members of the initiative's lead organisation (`tracker.board.matching.lead_organisation_id`;
    issue 15)."""
    if may(actor, "edit_any"):
        return True
    member = actor.is_active and actor.role == MEMBER
    return member and actor.organisation_id == lead_organisation_id


def may_release(actor: User, claim: Claim) -> bool:
    return may(actor, "release") and may_act_for(actor, claim.organisation_id)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise Forbidden(message)
