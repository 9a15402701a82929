"""The board page's memory: "since you last looked", and the board as it was on a date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from tests.factories import make_initiative, role_type, stage
from tracker import board as ops
from tracker.extensions import db


def travel(moment: datetime):
    return time_machine.travel(moment, tick=False)


def test_since_you_last_looked_counts_and_lists_changes_since_the_previous_visit(
    client, auth, the_board, users
):
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with travel(start):
        card = make_initiative(the_board, users["envoy"], title="Video companionship")
        auth.login(users["viewer"])
        first = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert "Nothing has changed since you last looked." in first
    with travel(start + timedelta(days=3)):
        ops.move(users["envoy"], card.id, 1, stage(the_board, "Exploring"), 0)
        ops.claim(
            users["envoy"],
            card.id,
            role_type(the_board, "Lead").id,
            users["member"].organisation_id,
        )
        db.session.commit()
    with travel(start + timedelta(days=7)):
        page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
        assert "2 changes</strong> since you last looked" in page
        assert "moved it from Proposed to Exploring" in page
        assert "claimed Lead for Police" in page
        # Reloading within the same visit keeps the list.
        again = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
        assert "2 changes</strong> since you last looked" in again
    with travel(start + timedelta(days=8)):
        later = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert "Nothing has changed since you last looked." in later


def test_each_user_has_their_own_last_look(client, auth, the_board, users):
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with travel(start):
        auth.login(users["member"])
        client.get(f"/boards/{the_board.id}")
        auth.logout()
    with travel(start + timedelta(hours=2)):
        make_initiative(the_board, users["envoy"], title="New idea")
    with travel(start + timedelta(hours=4)):
        auth.login(users["member"])
        member_page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
        auth.logout()
        auth.login(users["viewer"])  # first visit: nothing is "new" to them
        viewer_page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert "1 change</strong> since you last looked" in member_page
    assert "proposed it in Proposed" in member_page
    assert "Nothing has changed since you last looked." in viewer_page


def test_board_as_of_a_date_shows_the_board_as_it_stood_then_read_only(
    client, auth, the_board, users
):
    with travel(datetime(2026, 11, 2, 10, 0, tzinfo=UTC)):
        card = make_initiative(the_board, users["envoy"], title="Cross-agency data sharing")
    with travel(datetime(2026, 11, 4, 10, 0, tzinfo=UTC)):
        ops.move(users["envoy"], card.id, 1, stage(the_board, "Pilot"), 0)
        ops.edit(users["envoy"], card.id, 2, {"title": "Renamed later"})
        db.session.commit()
    auth.login(users["viewer"])
    before = client.get(f"/boards/{the_board.id}?as_of=2026-11-01")
    assert before.status_code == 200
    assert "Cross-agency data sharing" not in before.get_data(as_text=True)
    then = client.get(f"/boards/{the_board.id}?as_of=2026-11-03").get_data(as_text=True)
    assert "Read-only: the board as it stood at the end of Tuesday 03 November 2026" in then
    assert "Cross-agency data sharing" in then
    assert "Renamed later" not in then
    assert "Move to stage" not in then
    now = client.get(f"/boards/{the_board.id}?as_of=2026-11-05").get_data(as_text=True)
    assert "Renamed later" in now


def test_board_as_of_a_bad_date_says_so(client, auth, the_board, users):
    auth.login(users["viewer"])
    response = client.get(f"/boards/{the_board.id}?as_of=yesterday")
    assert response.status_code == 422
    assert "YYYY-MM-DD" in response.get_data(as_text=True)
