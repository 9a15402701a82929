"""Administrative operations on people: invite, change role and organisation, disable and
enable, issue a one-time link (a new invitation, or a password reset)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from tracker import accounts
from tracker.admin import audit, links
from tracker.admin.common import require_admin
from tracker.errors import Invalid, NotFound
from tracker.extensions import db
from tracker.mail import addresses
from tracker.models import NAME_MAX, Organisation, User
from tracker.operations import Change, text_field
from tracker.vocabulary import AccountRole

ROLES = [r.value for r in AccountRole]


@dataclass(frozen=True)
class IssuedLink:
    """A one-time link's secret, shown to the admin once (and e-mailed when SMTP is set up)."""

    user: User
    secret: str
    purpose: str


def get(user_id: int) -> User:
    """The person, or `NotFound` (a 404 on the pages)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"Person {user_id} does not exist.", {"user_id": "no such person"})
    return user


def _email(value: object) -> str:
    return addresses.checked(value, "email")


def _role(value: object) -> str:
    if value not in ROLES:
        raise Invalid({"role": "must be one of " + ", ".join(ROLES)})
    assert isinstance(value, str)
    return value


def _organisation(value: object) -> Organisation:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid({"organisation_id": "choose an organisation"})
    organisation = db.session.get(Organisation, value)
    if organisation is None:
        raise Invalid({"organisation_id": "no such organisation"})
    if not organisation.active:
        raise Invalid({"organisation_id": "this organisation is deactivated"})
    return organisation


def invite(
    actor: User, email: object, name: object, organisation_id: object, role: object
) -> Change[IssuedLink]:
    """Create an account without a password and an invitation link (valid 7 days, once) with
    which the invitee sets their own. Audit `user.invited`."""
    require_admin(actor)
    clean_email = _email(email)
    clean_name = text_field(name, "name", max_len=NAME_MAX, required=True, tidy=True)
    organisation = _organisation(organisation_id)
    clean_role = _role(role)
    if db.session.scalar(sa.select(User.id).where(User.email == clean_email)) is not None:
        raise Invalid({"email": "an account with this e-mail already exists"})
    user = User(
        email=clean_email,
        name=clean_name,
        role=clean_role,
        organisation=organisation,
        password_hash=None,
    )
    db.session.add(user)
    db.session.flush()
    secret = links.issue(user, links.INVITATION, actor)
    audit.record(
        actor,
        "user.invited",
        "user",
        user.id,
        f"Invited {clean_name} <{clean_email}> as {clean_role} of {organisation.name}.",
        {"email": clean_email, "role": clean_role, "organisation": organisation.name},
    )
    return Change(IssuedLink(user, secret, links.INVITATION))


def change(actor: User, user_id: int, role: object, organisation_id: object) -> Change[User]:
    """Change a person's account role and organisation. Admins cannot change their own role
    (the last admin could otherwise lock everyone out). Audit `user.changed`, data: the
    fields' `{from, to}`."""
    require_admin(actor)
    user = get(user_id)
    clean_role = _role(role)
    changes: dict[str, dict[str, str]] = {}
    if clean_role != user.role:
        if user.id == actor.id:
            raise Invalid({"role": "you cannot change your own account role"})
        changes["role"] = {"from": user.role, "to": clean_role}
    if organisation_id != user.organisation_id:
        organisation = _organisation(organisation_id)
        changes["organisation"] = {"from": user.organisation.name, "to": organisation.name}
        user.organisation = organisation
    if not changes:
        return Change(user, changed=False)
    user.role = clean_role
    described = " and ".join(
        f"{'account role' if field == 'role' else field} from {c['from']} to {c['to']}"
        for field, c in changes.items()
    )
    audit.record(
        actor, "user.changed", "user", user.id, f"Changed {user.name}'s {described}.", changes
    )
    return Change(user)


def set_active(actor: User, user_id: int, active: bool) -> Change[User]:
    """Disable (or enable) an account. Disabling ends its login sessions (for good:
    re-enabling does not bring an old session cookie back), its API tokens stop working
    while it is disabled, and its open sockets are disconnected after the commit. Audit
    `user.disabled` / `user.enabled`."""
    require_admin(actor)
    user = get(user_id)
    if not active and user.id == actor.id:
        raise Invalid({"user_id": "you cannot disable your own account"})
    if user.active == active:
        return Change(user, changed=False)
    user.active = active
    if not active:
        accounts.sign_out_everywhere(user, accounts.ACCOUNT_DISABLED)
    audit.record(
        actor,
        "user.enabled" if active else "user.disabled",
        "user",
        user.id,
        f"{'Enabled' if active else 'Disabled'} {user.name} <{user.email}>.",
        {"active": active},
    )
    return Change(user, end_sockets_of=() if active else (user.id,))


def issue_link(actor: User, user_id: int) -> Change[IssuedLink]:
    """A new one-time link for a person: an invitation when they have never set a password,
    otherwise a password reset (valid one day). Earlier unused links stop working. Audit
    `user.invitation_link_issued` / `user.reset_link_issued`."""
    require_admin(actor)
    user = get(user_id)
    if not user.is_active:
        raise Invalid({"user_id": "enable this account (and its organisation) first"})
    purpose = links.INVITATION if user.password_hash is None else links.RESET
    secret = links.issue(user, purpose, actor)
    what = "a new invitation link" if purpose == links.INVITATION else "a password-reset link"
    audit.record(
        actor,
        "user.invitation_link_issued" if purpose == links.INVITATION else "user.reset_link_issued",
        "user",
        user.id,
        f"Issued {what} for {user.name} <{user.email}>.",
        {"purpose": purpose},
    )
    return Change(IssuedLink(user, secret, purpose))
