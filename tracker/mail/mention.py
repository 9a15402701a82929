"""A mail at once to each person a progress note mentions (who wants one: `preferences`),
queued in the note's own transaction, one per person and note."""

from __future__ import annotations

from flask import current_app

from tracker import mentions
from tracker.extensions import db
from tracker.mail import outbox, preferences
from tracker.models import Event, Initiative, User

KIND = "mention"


def queue(event: Event, user_ids: set[int]) -> int:
    """Queue the mention mails of a `comment_added` event; how many were queued."""
    initiative = db.session.get(Initiative, event.initiative_id)
    if initiative is None or not user_ids:
        return 0
    body = str((event.data or {}).get("body", ""))
    note = mentions.plain(body, mentions.names_in([body]))
    base = str(current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
    link = f"{base}/initiatives/{initiative.id}#comments"
    queued = 0
    for user in db.session.query(User).filter(User.id.in_(user_ids)).order_by(User.id):
        if not preferences.of(user.id).mention_email:
            continue
        text = (
            f"{event.actor_name} ({event.actor_organisation_name}) mentioned you in a progress "
            f"note on “{initiative.title}”:\n\n{note}\n\nRead it and reply: {link}\n\n"
            "You receive this because you are mentioned. To stop mails for mentions, use the "
            "unsubscribe link, or change what you receive on your account page."
        )
        queued += outbox.queue(
            recipient=user.email,
            user_id=user.id,
            kind=KIND,
            period_key=f"event{event.id}",
            subject=f"{event.actor_name} mentioned you on “{initiative.title}”",
            body_text=text,
            headers=preferences.unsubscribe_headers(user.id, "mention"),
        )
    return queued
