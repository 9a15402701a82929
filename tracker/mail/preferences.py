"""What each person wants by e-mail (`MailPreference`; no row: mentions at once, a weekly
digest) and the one-click unsubscribe links (RFC 8058) every such mail carries.

A link is signed with the app's secret key (`itsdangerous`, its own salt) and names the person,
what it stops ("digest" or "mention") and their `unsubscribe_generation`, which moves on when
a link is used: a link that was changed is refused as not valid, one used before as used.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from tracker import policy
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import DIGESTS, MailPreference, User
from tracker.operations import Change

SALT = "tracker.unsubscribe"
WHAT = ("digest", "mention")


def of(user_id: int) -> MailPreference:
    """The person's preferences (the defaults, not stored, when they never chose)."""
    found = db.session.get(MailPreference, user_id)
    return found or MailPreference(
        user_id=user_id, mention_email=True, digest="weekly", unsubscribe_generation=0
    )


def _stored(user_id: int) -> MailPreference:
    found = db.session.get(MailPreference, user_id)
    if found is None:
        found = of(user_id)
        db.session.add(found)
    return found


def choose(actor: User, mention_email: object, digest: object) -> Change[MailPreference]:
    """Set the actor's own preferences: `mention_email` true or false, `digest` one of
    DIGESTS. Raises `Invalid` naming the field."""
    policy.require(policy.may(actor, "view"), "Your account cannot receive mail.")
    if not isinstance(mention_email, bool):
        raise Invalid({"mention_email": "must be true or false"})
    if digest not in DIGESTS:
        raise Invalid({"digest": f"must be one of {', '.join(DIGESTS)}"})
    current = of(actor.id)
    if current.mention_email == mention_email and current.digest == digest:
        return Change(current, changed=False)
    stored = _stored(actor.id)
    stored.mention_email = mention_email
    stored.digest = str(digest)
    db.session.flush()
    return Change(stored)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def unsubscribe_token(user_id: int, what: str) -> str:
    return _serializer().dumps({"u": user_id, "w": what, "g": of(user_id).unsubscribe_generation})


def unsubscribe_headers(user_id: int, what: str) -> dict[str, str]:
    """List-Unsubscribe with its one-click POST (RFC 8058), for a mail to this person."""
    base = str(current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
    return {
        "List-Unsubscribe": f"<{base}/unsubscribe/{unsubscribe_token(user_id, what)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


@dataclass(frozen=True)
class Link:
    user_id: int
    what: str


def read_link(token: str) -> Link:
    """Whose link and what it stops. Raises `Invalid({"link": …})` when it was changed or
    was used before."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        raise Invalid({"link": "is not a valid unsubscribe link (it may be incomplete)"}) from None
    if not (
        isinstance(data, dict)
        and isinstance(data.get("u"), int)
        and data.get("w") in WHAT
        and isinstance(data.get("g"), int)
    ):
        raise Invalid({"link": "is not a valid unsubscribe link"})
    user = db.session.get(User, data["u"])
    if user is None:
        raise Invalid({"link": "is for an account that no longer exists"})
    if of(user.id).unsubscribe_generation != data["g"]:
        raise Invalid(
            {"link": "has been used already; change what you receive on your account page"}
        )
    return Link(user.id, data["w"])


def unsubscribe(token: str) -> Change[Link]:
    """Stop what the link names (the digest, or mails for mentions), once."""
    link = read_link(token)
    stored = _stored(link.user_id)
    if link.what == "digest":
        stored.digest = "off"
    else:
        stored.mention_email = False
    stored.unsubscribe_generation = (stored.unsubscribe_generation or 0) + 1
    db.session.flush()
    return Change(link)
