"""Administrative operations on organisations: create, rename (and set the short name board
cards use), deactivate and reactivate.

A deactivated organisation keeps its claims and its place in history, but cannot claim new
roles (`board.claim` refuses it) and its people cannot sign in (`User.is_active`).
"""

from __future__ import annotations

import sqlalchemy as sa

from tracker import accounts, text
from tracker.admin import audit
from tracker.admin.common import require_admin
from tracker.errors import Invalid, NotFound
from tracker.extensions import db
from tracker.models import NAME_MAX, SHORT_NAME_MAX, Organisation, User
from tracker.operations import Change, text_field


def get(organisation_id: int) -> Organisation:
    """The organisation, or `NotFound` (a 404 on the pages)."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(
            f"Organisation {organisation_id} does not exist.",
            {"organisation_id": "no such organisation"},
        )
    return organisation


def _free(label: str, field: str, except_id: int | None = None) -> None:
    """No other organisation is called `label`, by name or short name, as people read names
    (case and accents as typed, compared with `casefold`; SQL's lower() leaves non-ASCII
    letters alone on SQLite): a card or a list never names two organisations alike."""
    wanted = label.casefold()
    for org_id, name, short_name in db.session.execute(
        sa.select(Organisation.id, Organisation.name, Organisation.short_name)
    ):
        if org_id == except_id:
            continue
        if field == "name" and wanted == name.casefold():
            raise Invalid({field: "an organisation with this name already exists"})
        if wanted in (name.casefold(), (short_name or "").casefold()):
            raise Invalid({field: f"“{name}” is already called that"})


def _unique_name(name: str, except_id: int | None = None) -> None:
    _free(name, "name", except_id)


def create(actor: User, name: object) -> Change[Organisation]:
    """Create an organisation. Audit `organisation.created`."""
    require_admin(actor)
    clean = text_field(name, "name", max_len=NAME_MAX, required=True, tidy=True)
    _unique_name(clean)
    organisation = Organisation(name=clean)
    db.session.add(organisation)
    db.session.flush()
    audit.record(
        actor,
        "organisation.created",
        "organisation",
        organisation.id,
        f"Created organisation “{clean}”.",
        {"name": clean},
    )
    return Change(organisation)


def rename(actor: User, organisation_id: int, name: object) -> Change[Organisation]:
    """Rename an organisation. Audit `organisation.renamed`, data `{from, to}`. History keeps
    the names events were recorded with."""
    require_admin(actor)
    organisation = get(organisation_id)
    clean = text_field(name, "name", max_len=NAME_MAX, required=True, tidy=True)
    if clean == organisation.name:
        return Change(organisation, changed=False)
    _unique_name(clean, except_id=organisation.id)
    old = organisation.name
    organisation.name = clean
    audit.record(
        actor,
        "organisation.renamed",
        "organisation",
        organisation.id,
        f"Renamed organisation “{old}” to “{clean}”.",
        {"from": old, "to": clean},
    )
    return Change(organisation)


def set_short_name(actor: User, organisation_id: int, short_name: object) -> Change[Organisation]:
    """Set (or, with empty text, clear) the short name board cards show for an organisation:
    at most SHORT_NAME_MAX characters, and not another organisation's short name or name, so
    a card never names two organisations alike. Audit `organisation.short_name_set`, data
    `{from, to}`."""
    require_admin(actor)
    organisation = get(organisation_id)
    clean = text_field(short_name, "short_name", max_len=SHORT_NAME_MAX, tidy=True) or None
    if clean is not None and not text.visible(clean):
        raise Invalid({"short_name": "must show something (leave it empty for none)"})
    if clean == organisation.short_name:
        return Change(organisation, changed=False)
    if clean is not None:
        _free(clean, "short_name", except_id=organisation.id)
    old = organisation.short_name
    organisation.short_name = clean
    audit.record(
        actor,
        "organisation.short_name_set",
        "organisation",
        organisation.id,
        f"Set the short name of “{organisation.name}” to “{clean}”."
        if clean
        else f"Cleared the short name of “{organisation.name}”.",
        {"from": old, "to": clean},
    )
    return Change(organisation)


def update(
    actor: User, organisation_id: int, name: object, short_name: object
) -> Change[Organisation]:
    """`rename` and `set_short_name` together (the admin page's one form per organisation):
    both or neither."""
    renamed = rename(actor, organisation_id, name)
    shortened = set_short_name(actor, organisation_id, short_name)
    return Change(renamed.value, changed=renamed.changed or shortened.changed)


def set_active(actor: User, organisation_id: int, active: bool) -> Change[Organisation]:
    """Deactivate (or reactivate) an organisation. Deactivating ends its people's sessions
    (for good: reactivating does not bring them back), tokens and sockets at once. Audit
    `organisation.deactivated` / `organisation.reactivated`."""
    require_admin(actor)
    organisation = get(organisation_id)
    if not active and organisation.id == actor.organisation_id:
        raise Invalid(
            {"organisation_id": "you cannot deactivate your own organisation"},
            "You cannot deactivate your own organisation: you would lock yourself out.",
        )
    if organisation.active == active:
        return Change(organisation, changed=False)
    organisation.active = active
    members = list(
        db.session.scalars(sa.select(User).where(User.organisation_id == organisation.id))
    )
    if not active:
        # As for a disabled person: reactivating later must not bring old sessions back.
        accounts.end_login_sessions(
            (person.id for person in members), accounts.ORGANISATION_DEACTIVATED
        )
    people = [person.id for person in members]
    what = "Reactivated" if active else "Deactivated"
    audit.record(
        actor,
        "organisation.reactivated" if active else "organisation.deactivated",
        "organisation",
        organisation.id,
        f"{what} organisation “{organisation.name}” ({len(people)} "
        f"{'person' if len(people) == 1 else 'people'}).",
        {"active": active, "people": len(people)},
    )
    return Change(organisation, end_sockets_of=() if active else tuple(people))
