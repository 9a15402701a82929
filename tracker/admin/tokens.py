"""API tokens and sessions: each person lists, creates and revokes their own tokens and can
sign out everywhere; admins revoke anyone's tokens."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import orm

from tracker import accounts, api_tokens, policy
from tracker.admin import audit
from tracker.admin.common import require_admin
from tracker.errors import NotFound
from tracker.extensions import db
from tracker.models import NAME_MAX, ApiToken, User
from tracker.operations import Change, text_field


@dataclass(frozen=True)
class NewToken:
    """A token just created, with its secret: the only time the secret is known."""

    row: ApiToken
    secret: str  # shown once


def of_user(user_id: int) -> list[ApiToken]:
    """A person's tokens, the working ones first, newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user_id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
    )


def everyone(actor: User, *, include_revoked: bool = False) -> list[ApiToken]:
    """Every person's tokens (admins only), newest first, with their owners."""
    require_admin(actor)
    query = (
        sa.select(ApiToken)
        .options(orm.joinedload(ApiToken.user))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return list(db.session.scalars(query))


def create(actor: User, name: object) -> Change[NewToken]:
    """A new personal token for the actor. Audit `token.created`."""
    policy.require(actor.is_active, "Your account is disabled.")
    clean = text_field(name, "name", max_len=NAME_MAX, required=True, tidy=True)
    secret = api_tokens.create_token(actor, clean)
    row = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == actor.id).order_by(ApiToken.id.desc())
    ).first()
    assert row is not None
    audit.record(
        actor, "token.created", "token", row.id, f"{actor.name} created API token “{clean}”."
    )
    return Change(NewToken(row, secret))


def revoke(actor: User, token_id: int) -> Change[ApiToken]:
    """Revoke a token: the actor's own, or anyone's for an admin. Requests with it fail at
    once; sockets opened with it are disconnected after the commit. Audit `token.revoked`."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"Token {token_id} does not exist.", {"token_id": "no such token"})
    if token.user_id != actor.id:
        require_admin(actor)
    if not api_tokens.revoke_token(token):
        return Change(token, changed=False)
    owner = token.user
    whose = "their own" if owner.id == actor.id else f"{owner.name}'s"
    audit.record(
        actor,
        "token.revoked",
        "token",
        token.id,
        f"{actor.name} revoked {whose} API token “{token.name}”.",
        {"owner": owner.email, "name": token.name},
    )
    return Change(token, end_sockets_of=(owner.id,))


def sign_out_everywhere(actor: User) -> Change[User]:
    """End every session of the actor, on every device (tokens stay). Audit
    `account.signed_out_everywhere`."""
    accounts.sign_out_everywhere(actor)
    audit.record(
        actor,
        "account.signed_out_everywhere",
        "user",
        actor.id,
        f"{actor.name} signed out everywhere.",
    )
    return Change(actor, end_sockets_of=(actor.id,))
