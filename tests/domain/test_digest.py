"""The e-mail digest and mention mails: periods in London time (the day the clocks go back
is 25 hours), a digest's text asserted exactly for a history with controlled timestamps, the
envoys' exceptions, preferences, and the one-click unsubscribe link (once; not when changed)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from tests.conftest import AuthActions
from tests.factories import make_initiative, role_type, stage
from tracker import board, unit_of_work
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.mail import digest, preferences
from tracker.models import OutboxMessage


def at(text: str) -> Any:
    return time_machine.travel(datetime.fromisoformat(text).replace(tzinfo=UTC), tick=False)


def commit(change: Any) -> Any:
    unit_of_work.commit_change(change)
    return change


def test_periods_are_london_days_and_weeks_across_the_clock_change(app) -> None:
    daily = digest.latest("daily", datetime(2026, 10, 25, 9, tzinfo=UTC))
    assert (daily.start, daily.end) == (
        datetime(2026, 10, 24, 7, tzinfo=UTC),  # Saturday 08:00 BST
        datetime(2026, 10, 25, 8, tzinfo=UTC),  # Sunday 08:00 GMT: 25 hours later
    )
    assert daily.key == "daily:2026-10-25"
    before_eight = digest.latest("daily", datetime(2026, 10, 25, 7, 59, tzinfo=UTC))
    assert before_eight.key == "daily:2026-10-24"
    weekly = digest.latest("weekly", datetime(2026, 10, 26, 8, 30, tzinfo=UTC))
    assert (weekly.start, weekly.end, weekly.key) == (
        datetime(2026, 10, 19, 7, tzinfo=UTC),
        datetime(2026, 10, 26, 8, tzinfo=UTC),
        "weekly:2026-W43",
    )


@pytest.fixture
def history(the_board, users) -> dict[str, Any]:
    """The member's Police holds Partner on an LEP initiative; the envoy changes it around
    the clock change (Sunday 25 October 2026, 02:00 BST → 01:00 GMT)."""
    envoy, member = users["envoy"], users["member"]
    with at("2026-10-20T09:00:00"):
        card = make_initiative(the_board, envoy, title="Video companionship")
        commit(board.claim(envoy, card.id, role_type(the_board, "Partner").id,
                           member.organisation_id))  # fmt: skip
    commit(preferences.choose(member, True, "daily"))
    with at("2026-10-24T09:00:00"):  # Saturday 10:00 BST
        commit(board.move(envoy, card.id, 1, stage(the_board, "Exploring"), 0))
    with at("2026-10-25T00:30:00"):  # Sunday 01:30 BST
        commit(board.edit(envoy, card.id, 2, {"rag": "red", "rag_reason": "No funder"}))
    with at("2026-10-25T01:30:00"):  # Sunday 01:30 GMT: the same clock time, an hour later
        commit(board.add_comment(envoy, card.id, "Spoke to the trust"))
    with at("2026-10-25T08:30:00"):  # after Sunday's digest period ended at 08:00 GMT
        commit(board.add_comment(envoy, card.id, "Next period"))
    return {"card": card.id}


def test_a_daily_digest_says_exactly_what_changed_in_its_period(history, users) -> None:
    by = f"{users['envoy'].name} (The LEP)"
    with at("2026-10-25T09:00:00"):
        assert digest.due() >= 1
        assert digest.due() == 0  # queued once
    message = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == users["member"].email)
    )
    assert message.period_key == "daily:2026-10-25"
    assert message.subject == "Your daily digest: 1 initiative changed"
    token = preferences.unsubscribe_token(users["member"].id, "digest")
    card = history["card"]
    assert message.body_text == (
        "Your daily digest, Sat 24 Oct 2026, 08:00 to Sun 25 Oct 2026, 08:00 (UK time)\n"
        "\n"
        "What changed on the initiatives you follow:\n"
        "\n"
        "Video companionship\n"
        f"  Sat 24 Oct 2026, 10:00  {by} moved it from Proposed to Exploring\n"
        f"  Sun 25 Oct 2026, 01:30  {by} changed RAG from not set to red: No funder\n"
        f"  Sun 25 Oct 2026, 01:30  {by} added a progress note\n"
        f"  http://127.0.0.1:5000/initiatives/{card}#history\n"
        "\n"
        "You receive this daily digest from the Initiative Tracker.\n"
        "Change what you receive: http://127.0.0.1:5000/account#mail\n"
        f"Stop this digest: http://127.0.0.1:5000/unsubscribe/{token}"
    )
    assert message.headers == {
        "List-Unsubscribe": f"<http://127.0.0.1:5000/unsubscribe/{token}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert "Video companionship</a>" in message.body_html


def test_envoys_get_the_exceptions_and_nobody_gets_an_empty_digest(
    history, the_board, users
) -> None:
    commit(preferences.choose(users["envoy"], True, "daily"))
    commit(preferences.choose(users["viewer"], True, "off"))
    with at("2026-10-25T09:00:00"):
        digest.due()
    rows = {m.recipient: m for m in db.session.scalars(sa.select(OutboxMessage))}
    envoy = rows[users["envoy"].email]  # made every change: only the exceptions
    assert "Nothing changed on the initiatives you follow." in envoy.body_text
    assert "Exceptions across the boards now:" in envoy.body_text
    assert "New Red:\n  - Video companionship (" in envoy.body_text
    assert "Exclusive roles nobody holds:\n  - Video companionship: Lead, Executive sponsor" in (
        envoy.body_text
    )
    assert users["viewer"].email not in rows  # chose no digest
    # Weekly: last Monday's digest is six days late, past catching up.
    assert users["admin"].email not in rows


def test_the_unsubscribe_link_works_once_and_not_when_changed(client, history, users) -> None:
    member = users["member"]
    token = preferences.unsubscribe_token(member.id, "digest")
    assert "Stop the e-mail digest" in client.get(f"/unsubscribe/{token}").get_data(as_text=True)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    bad = client.post(f"/unsubscribe/{tampered}")
    assert bad.status_code == 400 and "is not a valid unsubscribe link" in bad.get_data(
        as_text=True
    )
    assert preferences.of(member.id).digest == "daily"
    done = client.post(f"/unsubscribe/{token}")  # one click, no sign-in, no CSRF token
    assert done.status_code == 200 and "no longer receive the e-mail digest" in done.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert preferences.of(member.id).digest == "off"
    again = client.post(f"/unsubscribe/{token}")
    assert again.status_code == 400 and "has been used already" in again.get_data(as_text=True)
    with pytest.raises(Invalid):
        preferences.read_link("not-a-token")


def test_a_mention_queues_a_mail_at_once_unless_turned_off(the_board, users) -> None:
    member, viewer = users["member"], users["viewer"]
    card = make_initiative(the_board, users["envoy"], title="Data trust")
    commit(preferences.choose(viewer, False, "weekly"))
    body = f"Over to @[x](user:{member.id}) and @[y](user:{viewer.id})"
    commit(board.add_comment(users["envoy"], card.id, body))
    mails = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "mention")
    ).all()
    assert [m.recipient for m in mails] == [member.email]
    (mail,) = mails
    assert mail.subject == f"{users['envoy'].name} mentioned you on “Data trust”"
    assert f"Over to @{member.name} and @{viewer.name}" in mail.body_text
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_preferences_on_the_account_page(client, users) -> None:
    auth = AuthActions(client)
    auth.login(users["member"])
    page = client.get("/account").get_data(as_text=True)
    assert (
        '<input checked id="mail-digest-1" name="mail-digest" required type="radio" value="weekly">'
        in page
    )
    token = auth.csrf_token("/account")
    bad = client.post("/account/mail", data={"csrf_token": token, "mail-digest": "hourly"})
    assert bad.status_code == 422 and 'id="mail-digest-error"' in bad.get_data(as_text=True)
    ok = client.post(
        "/account/mail", data={"csrf_token": token, "mail-digest": "daily"}
    )  # the checkbox left unticked: no mention mails
    assert ok.status_code == 302
    chosen = preferences.of(users["member"].id)
    assert (chosen.digest, chosen.mention_email) == ("daily", False)


def test_the_digest_arrives_as_written_with_its_unsubscribe_headers(
    history, users, database_path
) -> None:
    from tests.conftest import _config
    from tests.smtp import SmtpServer
    from tracker import create_app
    from tracker.mail import sender

    with at("2026-10-25T09:00:00"):
        digest.due()
    queued = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == users["member"].email)
    )
    smtp = SmtpServer()
    smtp.start()
    try:
        mailing = create_app({**_config(database_path), **smtp.config()})
        with at("2026-10-25T09:01:00"), mailing.app_context():
            assert sender.send_due().sent >= 1
            db.engine.dispose()
    finally:
        smtp.stop()
    (received,) = [m for m in smtp.received if m["To"] == users["member"].email]
    assert received["Subject"] == "Your daily digest: 1 initiative changed"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["List-Unsubscribe"] == queued.headers["List-Unsubscribe"]
    text = received.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.rstrip("\n") == queued.body_text.rstrip("\n")
    html = received.get_body(("html",)).get_content()
    assert "Video companionship</a>" in html


def test_switching_between_daily_and_weekly_neither_repeats_nor_skips(the_board, users) -> None:
    """Each digest covers the time since the person's previous one ended, whichever kind."""
    envoy, member = users["envoy"], users["member"]
    with at("2026-11-02T09:00:00"):
        card = make_initiative(the_board, envoy, title="Video companionship")
        commit(board.claim(envoy, card.id, role_type(the_board, "Partner").id,
                           member.organisation_id))  # fmt: skip
    with at("2026-11-09T08:30:00"):  # Monday: the weekly digest of 2–9 November
        assert digest.due() >= 1

    def digest_lines(key: str) -> list[str]:
        message = db.session.scalar(
            sa.select(OutboxMessage).where(
                OutboxMessage.recipient == member.email, OutboxMessage.period_key == key
            )
        )
        assert message is not None, key
        text = message.body_text.splitlines()
        return [text[0]] + [
            line.split("  ")[-1] for line in text if "added a progress note" in line
        ]

    with at("2026-11-10T12:00:00"):
        commit(board.add_comment(envoy, card.id, "Tuesday"))
    with at("2026-11-11T10:00:00"):  # Wednesday: daily from now on
        commit(preferences.choose(member, True, "daily"))
    with at("2026-11-12T12:00:00"):
        commit(board.add_comment(envoy, card.id, "Thursday"))
    with at("2026-11-13T09:00:00"):  # Friday's daily: since Monday's weekly, Tuesday too
        digest.due()
    by = f"{envoy.name} (The LEP) added a progress note"
    assert digest_lines("daily:2026-11-13") == [
        "Your daily digest, Mon 9 Nov 2026, 08:00 to Fri 13 Nov 2026, 08:00 (UK time)",
        by,
        by,
    ]
    with at("2026-11-13T10:00:00"):  # back to weekly
        commit(preferences.choose(member, True, "weekly"))
    with at("2026-11-14T12:00:00"):
        commit(board.add_comment(envoy, card.id, "Saturday"))
    with at("2026-11-16T09:00:00"):  # Monday's weekly: since Friday's daily, not again
        digest.due()
    assert digest_lines("weekly:2026-W46") == [
        "Your weekly digest, Fri 13 Nov 2026, 08:00 to Mon 16 Nov 2026, 08:00 (UK time)",
        by,
    ]
    daily, weekly = (
        db.session.scalar(
            sa.select(OutboxMessage.body_text).where(
                OutboxMessage.recipient == member.email, OutboxMessage.period_key == key
            )
        )
        for key in ("daily:2026-11-13", "weekly:2026-W46")
    )
    # Tuesday's and Thursday's notes in the daily one; only Saturday's in the weekly one.
    assert "Tue 10 Nov 2026, 12:00" in daily and "Thu 12 Nov 2026, 12:00" in daily
    assert "Sat 14 Nov 2026, 12:00" in weekly
    assert "Tue 10 Nov" not in weekly and "Thu 12 Nov" not in weekly


def test_a_digest_covers_at_most_a_week_and_none_after_one_that_reached_its_end(app) -> None:
    weekly = digest.latest("weekly", datetime(2026, 11, 16, 9, tzinfo=UTC))
    assert digest.period_end(weekly.key) == weekly.end
    daily = digest.latest("daily", datetime(2026, 11, 16, 9, tzinfo=UTC))
    assert digest.period_end(daily.key) == daily.end
    assert digest.period_end("daily:not-a-day") is None
    assert digest.covered(daily, None) == daily
    assert digest.covered(daily, daily.end) is None
    long_ago = digest.covered(daily, datetime(2026, 9, 1, tzinfo=UTC))
    assert long_ago is not None and long_ago.end - long_ago.start == digest.LONGEST
