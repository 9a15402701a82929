"""The e-mail digest: for each person who wants one (`preferences`: daily or weekly), what
changed on what they follow during the period, per initiative, in the history's sentences,
with links; and for envoys and admins, the exceptions of every board (new Red, Red with no
update for 14 days, exclusive roles nobody holds, next steps overdue).

A period ends at `DIGEST_SEND_AT` (London): every day for a daily digest, on Monday for a
weekly one, and starts where the previous one ended, in London time (so the day the clocks
go back is 25 hours long). A person's digest covers the time since their previous digest
ended, whichever kind it was, up to the period's end: so switching from daily to weekly
repeats nothing, and from weekly to daily skips nothing (with no previous digest, or one
more than `LONGEST` ago, it covers its own period, or `LONGEST`). Its lines are the person's
notifications created in that time, which already leave out their own changes and what they
do not follow. Queued once per person and period (`period_key` "daily:2026-10-25" or
"weekly:2026-W44"); nothing when there is nothing to say.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app, render_template

from tracker import events as event_log
from tracker import notifications, policy
from tracker.board import narrowing
from tracker.board.listing import listed_initiatives
from tracker.extensions import db
from tracker.mail import outbox, preferences
from tracker.models import (
    Board,
    Event,
    Initiative,
    MailPreference,
    Notification,
    Organisation,
    OutboxMessage,
    User,
    utcnow,
)
from tracker.reports.html import when
from tracker.reports.week import LONDON, Week
from tracker.reports.weekly import STALE_AFTER_DAYS
from tracker.vocabulary import INITIATIVE_CREATED, RAG_CHANGED
from tracker.web.history import describe

KIND = "digest"
# A period's digest is queued until this long after it ended: a server that was down at 08:00
# still sends it that day, but a digest days late is not sent at all.
CATCH_UP = timedelta(days=1)
LISTED_MAX = 20  # lines of one exception listed; the rest are counted
# The most one digest covers, however long ago the previous one was (its digests were off).
LONGEST = timedelta(days=7)


@dataclass(frozen=True)
class Period:
    kind: str  # "daily" or "weekly"
    start: datetime  # UTC
    end: datetime  # UTC
    key: str

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(LONDON)

    @property
    def local_end(self) -> datetime:
        return self.end.astimezone(LONDON)


def _send_at() -> time:
    raw = str(current_app.config.get("DIGEST_SEND_AT") or "08:00")
    try:
        return time.fromisoformat(raw)
    except ValueError:
        return time(8, 0)


def _at(day: date) -> datetime:
    return datetime.combine(day, _send_at(), LONDON).astimezone(LONDON)


def latest(kind: str, now: datetime) -> Period:
    """The last period of `kind` that has ended by `now`."""
    today = now.astimezone(LONDON).date()
    if kind == "daily":
        end_day = today if now >= _at(today) else today - timedelta(days=1)
        start_day = end_day - timedelta(days=1)
        key = f"daily:{end_day.isoformat()}"
    else:
        monday = today - timedelta(days=today.weekday())
        end_day = monday if now >= _at(monday) else monday - timedelta(days=7)
        start_day = end_day - timedelta(days=7)
        key = f"weekly:{Week.containing(start_day)}"
    return Period(kind, _at(start_day).astimezone(LONDON), _at(end_day).astimezone(LONDON), key)


def period_end(key: str) -> datetime | None:
    """When the period of a digest's `period_key` ended (None for a key it cannot read)."""
    kind, _, value = key.partition(":")
    try:
        if kind == "daily":
            return _at(date.fromisoformat(value))
        if kind == "weekly":
            return _at(Week.parse(value).monday + timedelta(days=7))
    except ValueError:
        return None
    return None


def previous_ends(period: Period) -> dict[int, datetime]:
    """When each person's latest digest before `period` (of either kind) ended, for those who
    had one in the `LONGEST` before it: one query."""
    ends: dict[int, datetime] = {}
    for user_id, key in db.session.execute(
        sa.select(OutboxMessage.user_id, OutboxMessage.period_key).where(
            OutboxMessage.kind == KIND,
            OutboxMessage.user_id.is_not(None),
            OutboxMessage.created_at >= period.end - LONGEST,
        )
    ):
        end = period_end(key or "")
        if end is not None and (user_id not in ends or end > ends[user_id]):
            ends[user_id] = end
    return ends


def covered(period: Period, previous_end: datetime | None) -> Period | None:
    """The time one person's digest of `period` covers: from their previous digest's end
    (`previous_ends`), else the period's own start, but no more than `LONGEST`; None when the
    previous one reached the period's end already."""
    if previous_end is None:
        return period
    if previous_end >= period.end:
        return None
    return replace(period, start=max(previous_end, period.end - LONGEST).astimezone(LONDON))


# --- what a digest says -------------------------------------------------------------------


@dataclass
class InitiativeChanges:
    initiative_id: int
    title: str
    # (when, in words and London time, and the sentence): each made once per event.
    lines: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Exceptions:
    new_red: list[tuple[int, str]] = field(default_factory=list)  # (id, title)
    stale_red: list[tuple[int, str, int]] = field(default_factory=list)  # (id, title, days)
    wanted: list[tuple[int, str, str]] = field(default_factory=list)  # (id, title, roles)
    overdue: list[tuple[int, str, date]] = field(default_factory=list)  # (id, title, due)

    def __bool__(self) -> bool:
        return bool(self.new_red or self.stale_red or self.wanted or self.overdue)


def changes_in(
    period: Period, names: dict[str, dict[int, str]], since: dict[int, datetime] | None = None
) -> dict[int, list[InitiativeChanges]]:
    """Every person's notifications created in the period, or from `since[person id]` (the
    start of the time their digest covers) to its end, per initiative (in the order its first
    change came), oldest first: three queries for everyone, each event described once however
    many people follow it."""
    since = since or {}
    n = Notification.__table__.c
    e = Event.__table__.c
    in_period = sa.and_(
        n.created_at >= min([period.start, *since.values()]), n.created_at < period.end
    )
    pairs = [
        (user_id, event_id)
        for user_id, event_id, created in db.session.execute(
            sa.select(n.user_id, n.event_id, n.created_at).where(in_period)
        )
        if _aware(created) >= since.get(user_id, period.start)
    ]
    if not pairs:
        return {}
    event_ids = sa.select(n.event_id).where(in_period).distinct().scalar_subquery()
    said: dict[int, tuple[datetime, int, int, str, str]] = {}
    for row in db.session.execute(
        sa.select(e.id, e.seq, e.board_id, e.type, e.initiative_id, e.actor_user_id,
                  e.actor_organisation_id, e.actor_name, e.actor_organisation_name, e.at,
                  e.data).where(e.id.in_(event_ids))
    ):  # fmt: skip
        envelope = event_log.envelope(row)
        who = f"{row.actor_name} ({row.actor_organisation_name})"
        at = _aware(row.at)
        sentence = f"{who} {describe(envelope, names)}"
        said[row.id] = (at, row.id, row.initiative_id, when(at), sentence)
    titles = dict(
        db.session.execute(
            sa.select(Initiative.id, Initiative.title).where(
                Initiative.id.in_({entry[2] for entry in said.values()})
            )
        ).all()
    )
    per_user: dict[int, list[tuple[datetime, int, int, str, str]]] = {}
    for user_id, event_id in pairs:
        if event_id in said:
            per_user.setdefault(user_id, []).append(said[event_id])
    result: dict[int, list[InitiativeChanges]] = {}
    for user_id, lines in per_user.items():
        grouped: dict[int, InitiativeChanges] = {}
        for _at, _event_id, initiative_id, moment, sentence in sorted(lines):
            entry = grouped.get(initiative_id)
            if entry is None:
                entry = grouped[initiative_id] = InitiativeChanges(
                    initiative_id, titles.get(initiative_id, "")
                )
            entry.lines.append((moment, sentence))
        result[user_id] = list(grouped.values())
    return result


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def exceptions(period: Period) -> Exceptions:
    """Every board's exceptions as they are now (envoys' and admins' part); "new Red" is an
    initiative that became Red during the period and is Red still."""
    found = Exceptions()
    end_day = period.local_end.date()
    new_red: set[int] = set()
    for event in db.session.scalars(
        sa.select(Event).where(
            Event.type.in_((RAG_CHANGED, INITIATIVE_CREATED)),
            Event.at >= period.start,
            Event.at < period.end,
        )
    ):
        data = event.data or {}
        became = (
            data.get("changes", {}).get("rag", {}).get("to")
            if event.type == RAG_CHANGED
            else data.get("initiative", {}).get("rag")
        )
        if became == "red":
            new_red.add(int(event.initiative_id or 0))
    for board_id in db.session.scalars(sa.select(Board.id).order_by(Board.id)):
        the_board = db.session.get(Board, board_id)
        assert the_board is not None
        exclusive = {r.id: r.name for r in the_board.role_types if r.exclusive}
        live = listed_initiatives(board_id)
        activity = narrowing.last_activity(board_id)
        for card in live:
            if card.id in new_red and card.rag == "red":
                found.new_red.append((card.id, card.title))
            last = activity.get(card.id, card.created_at)
            if card.rag == "red" and last <= period.end - timedelta(days=STALE_AFTER_DAYS):
                found.stale_red.append((card.id, card.title, (period.end - last).days))
            held = {c.role_type_id for c in card.claims}
            missing = [name for rid, name in exclusive.items() if rid not in held]
            if missing:
                found.wanted.append((card.id, card.title, ", ".join(missing)))
            if card.next_step_due is not None and card.next_step_due < end_day:
                found.overdue.append((card.id, card.title, card.next_step_due))
    return found


def compose(
    user: User,
    period: Period,
    changed: list[InitiativeChanges],
    board_exceptions: Exceptions | None,
) -> tuple[str, str, str] | None:
    """Subject, text and HTML of the person's digest (`changed`: theirs, from `changes_in`),
    or None when it would say nothing."""
    shown = board_exceptions if board_exceptions and policy.may(user, "archive") else None
    if not changed and not shown:
        return None
    base = str(current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
    context = {
        "user": user,
        "period": period,
        "changed": changed,
        "exceptions": shown,
        "base": base,
        "listed_max": LISTED_MAX,
        "account": f"{base}/account#mail",
        "unsubscribe": f"{base}/unsubscribe/{preferences.unsubscribe_token(user.id, KIND)}",
        "when": when,
    }
    subject = (
        f"Your {period.kind} digest: {len(changed)} initiative"
        f"{'' if len(changed) == 1 else 's'} changed"
    )
    with current_app.test_request_context(base_url=base):
        text = render_template("mail/digest.txt", **context)
        html = render_template("mail/digest.html", **context)
    return subject, text, html


def due(now: datetime | None = None) -> int:
    """Queue each person's latest daily or weekly digest that is not queued yet; commits.
    Returns how many were queued."""
    now = now or utcnow()
    names = notifications.sentence_names()
    queued = 0
    for kind in ("daily", "weekly"):
        period = latest(kind, now)
        if now >= period.end + CATCH_UP:
            continue
        changes: dict[int, list[InitiativeChanges]] | None = None
        already = set(
            db.session.scalars(
                sa.select(OutboxMessage.user_id).where(
                    OutboxMessage.kind == KIND, OutboxMessage.period_key == period.key
                )
            )
        )
        wanted = sa.func.coalesce(MailPreference.digest, "weekly") == kind
        people = db.session.scalars(
            sa.select(User)
            .join(Organisation, Organisation.id == User.organisation_id)
            .outerjoin(MailPreference, MailPreference.user_id == User.id)
            .where(User.active.is_(True), Organisation.active.is_(True), wanted)
            .order_by(User.id)
        ).all()
        ends = previous_ends(period)
        windows = {person.id: covered(period, ends.get(person.id)) for person in people}
        since = {i: window.start for i, window in windows.items() if window is not None}
        board_exceptions: Exceptions | None = None
        for person in people:
            window = windows[person.id]
            if person.id in already or window is None:
                continue
            if board_exceptions is None and policy.may(person, "archive"):
                board_exceptions = exceptions(period)
            if changes is None:
                changes = changes_in(period, names, since)
            made = compose(person, window, changes.get(person.id, []), board_exceptions)
            if made is None:
                continue
            subject, text, html = made
            queued += outbox.queue(
                recipient=person.email,
                user_id=person.id,
                kind=KIND,
                period_key=period.key,
                subject=subject,
                body_text=text,
                body_html=html,
                headers=preferences.unsubscribe_headers(person.id, KIND),
            )
    db.session.commit()
    return queued
