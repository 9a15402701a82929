"""The outbox: e-mail queued in the database, sent by `sender`.

A message is queued in the same transaction as what causes it (or by the scheduler), so it is
sent if and only if that commits. (`recipient`, `kind`, `period_key`) is unique, and `queue`
adds nothing when the row exists: two nodes, a restart or a re-run of a command never queue a
message twice.

A sender takes a message with one conditional UPDATE that pushes its `send_after` past a lease
(`claim`): of two senders (two nodes, `tracker send-due` beside a server), one gets the row and
the other moves on, on SQLite and PostgreSQL alike, without holding a transaction open while
the SMTP server talks. (The design notes suggested `SELECT … FOR UPDATE SKIP LOCKED`; the lease
does the same on both databases, and a sender killed mid-send leaves its row to be tried again
when the lease ends instead of never.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tracker.extensions import db
from tracker.models import OutboxMessage, utcnow
from tracker.reports.printable import printable

# How long a sender may take over one message before another may try it (seconds).
LEASE = timedelta(minutes=5)
ERROR_MAX = 500


def queue(
    *,
    recipient: str,
    kind: str,
    period_key: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    attachment: dict[str, Any] | None = None,
    user_id: int | None = None,
    headers: dict[str, str] | None = None,
    now: datetime | None = None,
) -> bool:
    """Add a message to the outbox in the current transaction; False when one for the same
    recipient, kind and period is already there (sent or not), and nothing is added.

    `recipient` must be a checked address (the caller's job: `addresses.checked`)."""
    # A subject is one header line: no break (nor control character) may start another.
    subject = " ".join(printable(subject).replace("\ufffd", " ").split())[:300]
    values = {
        "recipient": recipient,
        "user_id": user_id,
        "kind": kind,
        "period_key": period_key,
        "subject": subject,
        "body_text": body_text,
        "body_html": body_html,
        "attachment": attachment,
        "headers": headers,
        "created_at": now or utcnow(),
        "send_after": now or utcnow(),
        "attempts": 0,
    }
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["recipient", "kind", "period_key"])
        # The new row's id, or no row: rowcount is not reliable for this on every driver.
        .returning(OutboxMessage.id)
    )
    return db.session.execute(statement).first() is not None


def claim(now: datetime) -> OutboxMessage | None:
    """The next due message, taken for this sender for `LEASE` (None: nothing is due). Its
    `attempts` is counted now, so a sender that dies mid-send still counts."""
    table = OutboxMessage.__table__.c
    while True:
        candidate = db.session.scalar(
            sa.select(table.id)
            .where(table.sent_at.is_(None), table.gave_up_at.is_(None), table.send_after <= now)
            .order_by(table.send_after, table.id)
            .limit(1)
        )
        if candidate is None:
            return None
        taken = db.session.execute(
            sa.update(OutboxMessage)
            .where(
                table.id == candidate,
                table.sent_at.is_(None),
                table.send_after <= now,
            )
            .values(send_after=now + LEASE, attempts=table.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if taken.rowcount:
            return db.session.get(OutboxMessage, candidate, populate_existing=True)
        # Another sender took it between the two statements: look again.


def mark_sent(message: OutboxMessage, now: datetime) -> None:
    message.sent_at = now
    message.last_error = None
    db.session.commit()


def mark_failed(
    message: OutboxMessage, now: datetime, error: str, retry_max: timedelta, *, give_up: bool
) -> None:
    """Keep the message for later: 1, 2, 4 … minutes after this attempt, at most
    `retry_max`; or, `give_up`, stop sending it (it stays, with its error)."""
    wait = min(timedelta(minutes=2 ** max(message.attempts - 1, 0)), retry_max)
    message.send_after = now + wait
    message.last_error = error[:ERROR_MAX]
    if give_up:
        message.gave_up_at = now
    db.session.commit()


@dataclass(frozen=True)
class Status:
    """What the administration's mail page shows."""

    waiting: int  # not sent yet
    failing: int  # not sent, and the last try failed
    sent_last_week: int
    last_error: str | None  # of the most recent failure still waiting
    given_up: int = 0  # refused for good (in the last 30 days)
    given_up_error: str | None = None  # the most recent such refusal


def status(now: datetime) -> Status:
    table = OutboxMessage.__table__.c
    pending = sa.and_(table.sent_at.is_(None), table.gave_up_at.is_(None))
    waiting, failing, sent, given_up = db.session.execute(
        sa.select(
            sa.func.count().filter(pending),
            sa.func.count().filter(pending, table.last_error.is_not(None)),
            sa.func.count().filter(table.sent_at >= now - timedelta(days=7)),
            sa.func.count().filter(table.gave_up_at >= now - timedelta(days=30)),
        )
    ).one()
    last_error = db.session.scalar(
        sa.select(table.last_error)
        .where(pending, table.last_error.is_not(None))
        .order_by(table.send_after.desc())
        .limit(1)
    )
    given_up_error = db.session.scalar(
        sa.select(table.last_error)
        .where(table.gave_up_at >= now - timedelta(days=30))
        .order_by(table.gave_up_at.desc())
        .limit(1)
    )
    return Status(waiting, failing, sent, last_error, given_up, given_up_error)
