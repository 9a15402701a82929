"""A board's weekly report recipients on its administration page, and `tracker send-weekly`:
who may change the list, what is refused (naming the field, nothing written), what the page
says when mail cannot go out, and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from tests.admin.test_admin_pages import page_text, post
from tests.conftest import AuthActions
from tests.factories import make_initiative
from tracker.extensions import db
from tracker.models import AuditEntry, OutboxMessage, ReportRecipient


def recipients_of(board_id: int) -> list[tuple[int | None, str | None]]:
    return sorted(
        db.session.execute(
            sa.select(ReportRecipient.user_id, ReportRecipient.address).where(
                ReportRecipient.board_id == board_id
            )
        ).all(),
        key=str,
    )


@pytest.fixture
def admin_auth(client, auth, users) -> AuthActions:
    assert auth.login(users["admin"]).status_code == 302
    return auth


def test_an_admin_adds_a_person_and_an_address_and_removes_one(
    client, admin_auth, the_board, users
) -> None:
    base = f"/admin/boards/{the_board.id}/recipients"
    person = post(
        client, admin_auth, f"{base}/person", {"recipient-person-user_id": users["member"].id}
    )
    address = post(
        client,
        admin_auth,
        f"{base}/address",
        {"recipient-address-address": " Office@Partner.Example "},
    )
    assert person.status_code == address.status_code == 302
    assert recipients_of(the_board.id) == sorted(
        [(users["member"].id, None), (None, "office@partner.example")], key=str
    )
    page = page_text(client.get(f"/admin/boards/{the_board.id}"))
    assert "office@partner.example" in page and users["member"].email in page
    assert "No mail server is configured" in page
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["report_recipient.added", "report_recipient.added"]
    (row_id,) = db.session.scalars(
        sa.select(ReportRecipient.id).where(ReportRecipient.address.is_not(None))
    ).all()
    removed = post(client, admin_auth, f"/admin/recipients/{row_id}/remove")
    assert removed.status_code == 302
    assert recipients_of(the_board.id) == [(users["member"].id, None)]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("not an address", "is not an e-mail address"),
        ("office@partner.example\r\nBcc: everyone@example.org", "must be a single line"),
        ("office@partner.example\nBcc: x@example.org", "must be a single line"),
        ("", "This field is required."),
        ("a" * 250 + "@example.org", "254"),
    ],
)
def test_a_bad_address_is_refused_naming_the_field_and_nothing_is_written(
    client, admin_auth, the_board, value, reason
) -> None:
    response = post(
        client, admin_auth, f"/admin/boards/{the_board.id}/recipients/address",
        {"recipient-address-address": value},
    )  # fmt: skip
    assert response.status_code == 422
    html = page_text(response)
    assert 'id="recipient-address-address-error"' in html
    assert reason in html
    assert recipients_of(the_board.id) == []


def test_the_same_recipient_twice_is_refused(client, admin_auth, the_board, users) -> None:
    path = f"/admin/boards/{the_board.id}/recipients/person"
    data = {"recipient-person-user_id": users["member"].id}
    assert post(client, admin_auth, path, data).status_code == 302
    again = post(client, admin_auth, path, data)
    assert again.status_code == 422
    assert "already gets this board&#39;s weekly report" in page_text(again)
    assert len(recipients_of(the_board.id)) == 1


@pytest.mark.parametrize("role", ["envoy", "member", "viewer"])
def test_only_admins_keep_the_list(client, auth, the_board, users, role) -> None:
    auth.login(users[role])
    response = post(
        client, auth, f"/admin/boards/{the_board.id}/recipients/address",
        {"recipient-address-address": "office@partner.example"},
    )  # fmt: skip
    assert response.status_code == 403
    assert recipients_of(the_board.id) == []


def send_weekly(runner, *args: str) -> Any:
    return runner.invoke(args=["send-weekly", *args])


def test_send_weekly_queues_for_the_list_or_the_addresses_given_once(
    runner, the_board, users
) -> None:
    with time_machine.travel(datetime(2026, 11, 24, 10, tzinfo=UTC), tick=False):
        make_initiative(the_board, users["envoy"], title="Video companionship")
    with time_machine.travel(datetime(2026, 12, 1, 10, tzinfo=UTC), tick=False):
        nobody = send_weekly(runner, "--board", str(the_board.id))
        given = send_weekly(
            runner, "--board", str(the_board.id), "--week", "2026-W48",
            "--to", "a@example.org", "--to", "B@Example.org",
        )  # fmt: skip
        again = send_weekly(
            runner, "--board", str(the_board.id), "--to", "a@example.org"
        )  # last week is 2026-W48 on this Tuesday
    assert nobody.exit_code == 0 and "no weekly report recipients" in nobody.output
    assert given.exit_code == 0, given.output
    assert "Queued the report for 2026-W48 to 2 address(es)." in given.output
    assert "it waits in the outbox" in given.output
    assert again.exit_code == 0 and "0 address(es); 1 had it already." in again.output
    queued = db.session.scalars(sa.select(OutboxMessage.recipient)).all()
    assert sorted(queued) == ["a@example.org", "b@example.org"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "not-an-address"], "--to: is not an e-mail address"),
        (["--to", "a@example.org\r\nBcc: x@example.org"], "--to: must be a single line"),
        (["--week", "2026-W60"], "week"),
        (["--week", "2099-W01"], "has not begun yet"),
    ],
)
def test_send_weekly_refuses_bad_input_with_exit_code_2(runner, the_board, args, message) -> None:
    with time_machine.travel(datetime(2026, 12, 1, 10, tzinfo=UTC), tick=False):
        result = send_weekly(runner, "--board", str(the_board.id), *args)
    assert result.exit_code == 2
    assert message in result.output
    assert db.session.scalars(sa.select(OutboxMessage)).all() == []


def test_send_weekly_for_a_board_that_does_not_exist(runner) -> None:
    result = send_weekly(runner, "--board", "999", "--to", "a@example.org")
    assert result.exit_code == 2
    assert "Board 999 does not exist." in result.output
