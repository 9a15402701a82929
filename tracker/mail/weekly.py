"""The weekly report by e-mail: each board's list of recipients gets the previous ISO week's
report on Monday from `WEEKLY_REPORT_SEND_AT` (London), the HTML report in the body and the
XLSX attached; `tracker send-weekly` queues one at any time.

A message is keyed by (address, "weekly_report", "board{id}:{week}"), so the scheduler running
every half minute on every node, a restart, or the command run again queue each week's report
once per address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

import sqlalchemy as sa
from flask import current_app, render_template

from tracker.errors import NotFound
from tracker.extensions import db
from tracker.mail import outbox
from tracker.models import Board, Organisation, OutboxMessage, ReportRecipient, User, utcnow
from tracker.reports import service
from tracker.reports.html import report_context
from tracker.reports.week import LONDON, Week
from tracker.vocabulary import RAG_LABELS

KIND = "weekly_report"


def period_key(board_id: int, week: Week) -> str:
    return f"board{board_id}:{week}"


@dataclass(frozen=True)
class Addressee:
    address: str
    user_id: int | None
    name: str  # the person's name, or the address


def addressees(board_id: int) -> list[Addressee]:
    """The board's recipients who may get it now: plain addresses, and people whose account
    and organisation are active (a disabled person gets nothing), by address."""
    rows = db.session.execute(
        sa.select(ReportRecipient, User)
        .outerjoin(User, User.id == ReportRecipient.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(ReportRecipient.board_id == board_id)
        .where(
            sa.or_(
                ReportRecipient.address.is_not(None),
                sa.and_(User.active.is_(True), Organisation.active.is_(True)),
            )
        )
    ).all()
    found = {}
    for recipient, user in rows:
        if user is not None:
            found[user.email] = Addressee(user.email, user.id, user.name)
        elif recipient.address is not None:
            found.setdefault(
                recipient.address, Addressee(recipient.address, None, recipient.address)
            )
    return sorted(found.values(), key=lambda a: a.address)


def queue_report(board_id: int, week: Week, to: list[str] | None = None) -> tuple[int, int]:
    """Queue the board's report for `week` to `to` (checked addresses), or to the board's
    recipients; the caller commits. Returns (queued, already queued or sent before).
    Raises `NotFound` (board) or `Invalid` (a week that has not begun)."""
    board = db.session.get(Board, board_id)
    if board is None:
        raise NotFound(f"Board {board_id} does not exist.", {"board_id": "no such board"})
    people = (
        [Addressee(address, None, address) for address in to]
        if to is not None
        else addressees(board_id)
    )
    key = period_key(board_id, week)
    # Asked every half minute all week: compose only for someone who has not had it yet.
    had = set(
        db.session.scalars(
            sa.select(OutboxMessage.recipient).where(
                OutboxMessage.kind == KIND, OutboxMessage.period_key == key
            )
        )
    )
    new = [person for person in people if person.address not in had]
    if not new:
        return 0, len(people)
    subject, text, html = compose(board, week)
    queued = 0
    for person in new:
        queued += outbox.queue(
            recipient=person.address,
            user_id=person.user_id,
            kind=KIND,
            period_key=key,
            subject=subject,
            body_text=text,
            body_html=html,
            attachment={"kind": KIND, "board_id": board_id, "week": str(week), "format": "xlsx"},
        )
    return queued, len(people) - queued


def compose(board: Board, week: Week) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a board's weekly report e-mail. The HTML is the
    standalone report (`format=html`); the text says its figures and where to read it."""
    config = current_app.config
    base = str(config.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
    with current_app.test_request_context(base_url=base):
        html = service.produce(board.id, str(week), "html", builder=None).body.decode("utf-8")
        report = service.build(board.id, str(week))
        context = report_context(report, heading_level=1, links=False)
        text = render_template(
            "mail/weekly_report.txt",
            report=report,
            board=board,
            link=f"{base}/boards/{board.id}/reports?week={week}",
            rag_labels=RAG_LABELS,
            **{k: context[k] for k in ("summary", "first_day", "last_day", "long_day", "signed")},
        )
    return f"Weekly status report {week} — {board.name}", text, html


def send_at(config: object) -> time:
    """`WEEKLY_REPORT_SEND_AT` as a time ("08:00"; a value that cannot be read is 08:00)."""
    raw = str(getattr(config, "get", lambda *_: None)("WEEKLY_REPORT_SEND_AT") or "08:00")
    try:
        return time.fromisoformat(raw)
    except ValueError:
        return time(8, 0)


def due(now: datetime | None = None) -> int:
    """Queue the previous week's report for every board with recipients, once the week's
    Monday has reached `WEEKLY_REPORT_SEND_AT` in London (any time later that week too: a
    server that was down on Monday morning still sends it). Commits; returns how many
    messages were queued (0 when they all were already)."""
    now = now or utcnow()
    local = now.astimezone(LONDON)
    this_week = Week.containing(local.date())
    starts = datetime.combine(
        this_week.start.astimezone(LONDON).date(), send_at(current_app.config), LONDON
    )
    if local < starts:
        return 0
    previous = this_week.shifted(-1)
    boards = db.session.scalars(sa.select(ReportRecipient.board_id).distinct()).all()
    queued = 0
    for board_id in boards:
        queued += queue_report(board_id, previous)[0]
    db.session.commit()
    return queued
