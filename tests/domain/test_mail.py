"""The outbox and the weekly report by e-mail, against a real SMTP server (aiosmtpd): what it
received is read back. Queued once per recipient and week whoever asks; sent once, whoever
sends; kept while the server is away and sent when it is back."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask

from tests.conftest import _config
from tests.factories import make_initiative, make_organisation, make_user
from tests.smtp import SmtpServer
from tracker import create_app
from tracker.admin import recipients
from tracker.extensions import db
from tracker.mail import outbox, sender, weekly
from tracker.models import OutboxMessage
from tracker.reports.week import Week

MONDAY_0805 = "2026-11-30T08:05:00"  # London is UTC in winter
W48 = Week.parse("2026-W48")


def at(text: str) -> Any:
    return time_machine.travel(datetime.fromisoformat(text).replace(tzinfo=UTC), tick=False)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(database_path, smtp: SmtpServer) -> Iterator[Flask]:
    """A second app on the same database that sends to `smtp` (as a server process would)."""
    app = create_app({**_config(database_path), **smtp.config()})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def listed(the_board, users) -> dict[str, Any]:
    """A board with a week of history and three recipients: a member, a person who has been
    disabled since, and a partner's shared inbox."""
    with at("2026-11-24T10:00:00"):
        make_initiative(the_board, users["envoy"], title="Video companionship")
    gone = make_user("member", make_organisation("Old Partner"))
    admin = users["admin"]
    recipients.add_person(admin, the_board.id, users["member"].id)
    recipients.add_person(admin, the_board.id, gone.id)
    recipients.add_address(admin, the_board.id, "Office@Partner.example")
    gone.active = False
    db.session.commit()
    return {"member": users["member"].email, "inbox": "office@partner.example"}


def rows() -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_message_is_queued_once_per_recipient_kind_and_period(app) -> None:
    first = outbox.queue(
        recipient="a@example.org", kind="weekly_report", period_key="board1:2026-W48",
        subject="One", body_text="Once",
    )  # fmt: skip
    again = outbox.queue(
        recipient="a@example.org", kind="weekly_report", period_key="board1:2026-W48",
        subject="Two", body_text="Twice",
    )  # fmt: skip
    db.session.commit()
    assert (first, again) == (True, False)
    assert [r.subject for r in rows()] == ["One"]


def test_monday_morning_queues_last_weeks_report_for_each_active_recipient_once(
    listed, the_board
) -> None:
    with at("2026-11-30T07:59:00"):
        assert weekly.due() == 0  # not yet
    with at(MONDAY_0805):
        assert weekly.due() == 2
        assert weekly.due() == 0  # every half minute, on every node: nothing more
    with at("2026-12-03T12:00:00"):
        assert weekly.due() == 0  # later in the week too
    queued = rows()
    assert sorted(r.recipient for r in queued) == sorted(listed.values())
    assert {r.period_key for r in queued} == {f"board{the_board.id}:2026-W48"}
    assert {r.subject for r in queued} == {f"Weekly status report 2026-W48 — {the_board.name}"}


def test_the_weekly_report_arrives_with_the_report_in_the_body_and_the_workbook_attached(
    listed, the_board, mail_app, smtp
) -> None:
    with at(MONDAY_0805):
        weekly.due()
        with mail_app.app_context():
            done = sender.send_due()
            again = sender.send_due()
    assert (done.sent, done.failed, again.sent) == (2, 0, 0)
    assert sorted(smtp.recipients) == sorted(listed.values())
    message = smtp.received[0]
    assert message["Subject"] == f"Weekly status report 2026-W48 — {the_board.name}"
    assert message["From"] == "tracker@herts-lep.example"
    text = message.get_body(("plain",)).get_content()
    assert "ISO week 2026-W48, Monday 23 November 2026 to Sunday 29 November 2026" in text
    assert "Live initiatives: 1\r\n" in text  # lines end CRLF, as SMTP carries them
    assert f"/boards/{the_board.id}/reports?week=2026-W48" in text
    html = message.get_body(("html",)).get_content()
    assert "Video companionship" in html and "<table" in html
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == f"weekly-status-board{the_board.id}-2026-W48.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    assert workbook.properties.keywords == f"week=2026-W48; board_id={the_board.id}"
    titles = [row[3] for row in workbook["Changes"].iter_rows(min_row=2, values_only=True)]
    assert titles == ["Video companionship"]
    assert all(r.sent_at is not None and r.attempts == 1 for r in rows())


def test_nothing_is_lost_while_the_mail_server_is_away(the_board, users, mail_app, smtp) -> None:
    with at("2026-11-24T10:00:00"):
        make_initiative(the_board, users["envoy"], title="Bus shelters")
    addresses = [f"partner{n}@example.org" for n in range(12)]
    for address in addresses:
        recipients.add_address(users["admin"], the_board.id, address)
    db.session.commit()
    smtp.stop()
    with at(MONDAY_0805):
        assert weekly.due() == 12
        with mail_app.app_context():
            down = sender.send_due()
    # The first failure ends the round: the others were not even tried.
    assert (down.sent, down.failed) == (0, 1)
    failed = [r for r in rows() if r.last_error]
    assert len(failed) == 1 and failed[0].attempts == 1 and failed[0].sent_at is None
    smtp.start()
    with at("2026-11-30T08:05:30"), mail_app.app_context():
        up = sender.send_due()  # the failed one waits its minute; the rest go
    with at("2026-11-30T08:08:00"), mail_app.app_context():
        later = sender.send_due()
        assert sender.send_due().sent == 0
    assert (up.sent, later.sent) == (11, 1)
    assert sorted(smtp.recipients) == sorted(addresses)
    assert len({m["Message-ID"] for m in smtp.received}) == 12


def test_without_a_mail_server_messages_wait(listed, the_board) -> None:
    with at(MONDAY_0805):
        weekly.due()
        assert sender.send_due() == sender.Round(0, 0)
    assert outbox.status(datetime(2026, 11, 30, 9, tzinfo=UTC)).waiting == 2


def test_two_sender_processes_at_once_send_each_message_once(
    database_path, the_board, users, smtp
) -> None:
    for n in range(30):
        outbox.queue(
            recipient=f"person{n}@example.org", kind="weekly_report", period_key="p",
            subject=f"Message {n}", body_text="Hello",
        )  # fmt: skip
    db.session.commit()
    url = database_path if isinstance(database_path, str) else f"sqlite:///{database_path}"
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": url,
        "TRACKER_SECRET_KEY": "test-secret-for-two-senders-0123456789",
        "TRACKER_MAIL_SERVER": "127.0.0.1",
        "TRACKER_MAIL_PORT": str(smtp.port),
        "TRACKER_MAIL_USE_TLS": "false",
    }
    command = [sys.executable, "-m", "flask", "--app", "tracker", "send-due"]
    senders = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0].decode() for p in senders]
    assert [p.returncode for p in senders] == [0, 0], outputs
    assert sorted(smtp.recipients) == sorted(f"person{n}@example.org" for n in range(30))
    db.session.expire_all()
    assert all(r.sent_at is not None and r.attempts == 1 for r in rows())


def test_fifty_mentions_while_the_server_is_down_are_each_delivered_once(
    the_board, users, mail_app, smtp
) -> None:
    from tracker import board, unit_of_work

    member = users["member"]
    card = make_initiative(the_board, users["envoy"], title="Data trust")
    smtp.stop()
    with at("2026-11-30T09:00:00"):
        for n in range(50):
            unit_of_work.commit_change(
                board.add_comment(users["envoy"], card.id, f"Note {n} for @[x](user:{member.id})")
            )
        with mail_app.app_context():
            down = sender.send_due()
    assert (down.sent, down.failed) == (0, 1)
    smtp.start()
    with at("2026-11-30T09:00:30"), mail_app.app_context():
        first = sender.send_due()
    with at("2026-11-30T09:02:00"), mail_app.app_context():
        second = sender.send_due()
        third = sender.send_due()
    assert (first.sent, second.sent, third.sent) == (49, 1, 0)
    assert smtp.recipients == [member.email] * 50
    subjects = sorted(m["Subject"] for m in smtp.received)
    assert len(set(m["Message-ID"] for m in smtp.received)) == 50
    assert subjects == [f"{users['envoy'].name} mentioned you on “Data trust”"] * 50
    texts = [m.get_body(("plain",)).get_content().replace("\r\n", "\n") for m in smtp.received]
    bodies = sorted(text.split("\n\n")[1] for text in texts)
    assert bodies == sorted(f"Note {n} for @{member.name}" for n in range(50))


def test_a_refused_recipient_fails_alone_and_the_round_goes_on(app, mail_app, smtp) -> None:
    """A 550 for one address is that message's failure, not the server's absence: the
    messages after it in the round are sent, and it waits to be tried again. Its headers go
    out as written (List-Unsubscribe readable, not RFC 2047 encoded words)."""
    smtp.refuse("gone@partner.example")
    link = "<http://127.0.0.1:5000/unsubscribe/" + "x" * 120 + ">"
    with at("2026-12-01T08:59:00"):  # queued, and tried below, at instants of its own
        for address in ("first@partner.example", "gone@partner.example", "last@partner.example"):
            outbox.queue(
                recipient=address, kind="mention", period_key="event1", subject="Mentioned",
                body_text="You were mentioned.", headers={"List-Unsubscribe": link},
            )  # fmt: skip
        db.session.commit()
    with at("2026-12-01T09:00:00"), mail_app.app_context():
        done = sender.send_due()
    assert (done.sent, done.failed) == (2, 1)
    assert smtp.recipients == ["first@partner.example", "last@partner.example"]
    refused = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == "gone@partner.example")
    )
    db.session.refresh(refused)
    assert refused.sent_at is None and "550" in (refused.last_error or "")
    assert f"List-Unsubscribe: {link}\r\n".encode() in smtp.raw[0]

    # Refused for good three times, it is given up: not tried again, and the admin page's
    # status counts it apart from what is still to be sent.
    for minute in (5, 10, 20, 40):
        with at(f"2026-12-01T09:{minute:02d}:00"), mail_app.app_context():
            sender.send_due()
    db.session.refresh(refused)
    assert refused.attempts == sender.GIVE_UP_AFTER and refused.gave_up_at is not None
    assert smtp.recipients == ["first@partner.example", "last@partner.example"]
    with at("2026-12-01T10:00:00"):
        status = outbox.status(datetime(2026, 12, 1, 10, tzinfo=UTC))
    assert (status.waiting, status.failing, status.given_up) == (0, 0, 1)
    assert "550" in (status.given_up_error or "")
