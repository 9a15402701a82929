"""The board page's memory: "since you last looked", and the board as it was on a date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.factories import make_initiative, role_type, stage
from tracker import board
from tracker.extensions import db


def travel(moment: datetime):
    return time_machine.travel(moment, tick=False)


NOTHING_NEW = "Nobody else has changed anything since you last looked."
FIRST_VISIT = "This is your first visit to this board."


def look(client, auth, user, board_id: int) -> str:
    """Sign in (at the frozen time: a session is not carried across days) and open the board."""
    auth.login(user)
    page = client.get(f"/boards/{board_id}").get_data(as_text=True)
    auth.logout()
    return page


def test_since_you_last_looked_counts_and_lists_changes_since_the_previous_visit(
    client, auth, the_board, users
):
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with travel(start):
        card = make_initiative(the_board, users["envoy"], title="Video companionship")
        first = look(client, auth, users["viewer"], the_board.id)
    assert FIRST_VISIT in first
    assert "Nothing has changed" not in first and NOTHING_NEW not in first
    with travel(start + timedelta(days=3)):
        board.move(users["envoy"], card.id, 1, stage(the_board, "Exploring"), 0)
        board.claim(
            users["envoy"],
            card.id,
            role_type(the_board, "Lead").id,
            users["member"].organisation_id,
        )
        db.session.commit()
    with travel(start + timedelta(days=7)):
        auth.login(users["viewer"])
        page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
        assert "2 changes</strong> since you last looked" in page
        assert "moved it from Proposed to Exploring" in page
        assert "claimed Lead for Police" in page
        # Reloading within the same visit keeps the list.
        again = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
        assert "2 changes</strong> since you last looked" in again
        auth.logout()
    with travel(start + timedelta(days=8)):
        later = look(client, auth, users["viewer"], the_board.id)
    assert NOTHING_NEW in later


def test_a_first_visit_says_so_also_when_reloaded(client, auth, the_board, users):
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with travel(start):
        make_initiative(the_board, users["envoy"], title="Video companionship")
        auth.login(users["member"])
        client.get(f"/boards/{the_board.id}")
    with travel(start + timedelta(minutes=10)):
        make_initiative(the_board, users["envoy"], title="Smart health monitoring")
        reloaded = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert FIRST_VISIT in reloaded
    assert "since you last looked" not in reloaded


def test_since_you_last_looked_leaves_out_ones_own_changes(client, auth, the_board, users):
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with travel(start):
        card = make_initiative(the_board, users["envoy"], title="Video companionship")
        look(client, auth, users["envoy"], the_board.id)
    with travel(start + timedelta(days=1)):
        # The envoy's own changes, then one by someone else.
        for i in range(3):
            board.edit(users["envoy"], card.id, 1 + i, {"summary": f"draft {i}"})
        board.add_comment(users["member"], card.id, "We can help")
        db.session.commit()
    with travel(start + timedelta(days=2)):
        page = look(client, auth, users["envoy"], the_board.id)
    assert "1 change</strong> since you last looked" in page
    assert "added a progress note" in page
    assert "edited the summary" not in page
    with travel(start + timedelta(days=3)):
        board.edit(users["envoy"], card.id, 4, {"summary": "final"})
        db.session.commit()
    with travel(start + timedelta(days=4)):
        page = look(client, auth, users["envoy"], the_board.id)
    assert NOTHING_NEW in page


def test_each_user_has_their_own_last_look(client, auth, the_board, users):
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with travel(start):
        look(client, auth, users["member"], the_board.id)
    with travel(start + timedelta(hours=2)):
        make_initiative(the_board, users["envoy"], title="New idea")
    with travel(start + timedelta(hours=4)):
        member_page = look(client, auth, users["member"], the_board.id)
        viewer_page = look(client, auth, users["viewer"], the_board.id)
    assert "1 change</strong> since you last looked" in member_page
    assert "proposed it in Proposed" in member_page
    assert FIRST_VISIT in viewer_page


def test_board_as_of_a_date_shows_the_board_as_it_stood_then_read_only(
    client, auth, the_board, users
):
    with travel(datetime(2026, 11, 2, 10, 0, tzinfo=UTC)):
        card = make_initiative(the_board, users["envoy"], title="Cross-agency data sharing")
    with travel(datetime(2026, 11, 4, 10, 0, tzinfo=UTC)):
        board.move(users["envoy"], card.id, 1, stage(the_board, "Pilot"), 0)
        board.edit(users["envoy"], card.id, 2, {"title": "Renamed later"})
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


def test_board_as_of_a_date_takes_the_same_filters_judged_as_things_stood_then(
    client, auth, the_board, users
):
    with travel(datetime(2026, 11, 2, 10, 0, tzinfo=UTC)):
        late = make_initiative(
            the_board,
            users["envoy"],
            title="Cross-agency data sharing",
            rag="red",
            rag_reason="No data owner",
        )
        make_initiative(
            the_board, users["envoy"], title="Bus shelters", rag="green", rag_reason="On track"
        )
    with travel(datetime(2026, 11, 4, 10, 0, tzinfo=UTC)):
        board.edit(
            users["envoy"],
            late.id,
            1,
            {"title": "Data sharing (renamed)", "rag": "green", "rag_reason": "Owner found"},
        )
        db.session.commit()
    auth.login(users["viewer"])
    then = client.get(f"/boards/{the_board.id}?as_of=2026-11-03&rag=red").get_data(as_text=True)
    assert "Cross-agency data sharing" in then and "Bus shelters" not in then
    assert '<span class="count">1</span> of <span class="total">2</span>' in then
    # The filter form keeps to that day, and another day keeps the filter.
    assert '<input type="hidden" name="as_of" value="2026-11-03">' in then
    assert '<input type="hidden" name="rag" value="red">' in then
    later = client.get(f"/boards/{the_board.id}?as_of=2026-11-05&rag=red").get_data(as_text=True)
    assert "Data sharing (renamed)" not in later and "Bus shelters" not in later
    # Text is searched as it was then.
    found = client.get(f"/boards/{the_board.id}?as_of=2026-11-03&q=CROSS-agency")
    assert "Cross-agency data sharing" in found.get_data(as_text=True)
    gone = client.get(f"/boards/{the_board.id}?as_of=2026-11-05&q=cross-agency")
    assert "Data sharing (renamed)" not in gone.get_data(as_text=True)
    # A filter it cannot use is said, and the whole board shown.
    bad = client.get(f"/boards/{the_board.id}?as_of=2026-11-03&rag=purple").get_data(as_text=True)
    assert "Filter rag: must be one of" in bad
    assert "Cross-agency data sharing" in bad and "Bus shelters" in bad


@pytest.mark.parametrize(
    "day",
    # Python reads the last three as dates (a week's Monday, a day of a week, no dashes): a
    # person who typed a week must be told, not shown some Monday.
    ["yesterday", "2026-13-01", "2026-11-3", "2026-W48", "2026-W48-3", "20261130"],
)
def test_board_as_of_a_bad_date_says_so(client, auth, the_board, users, day):
    auth.login(users["viewer"])
    response = client.get(f"/boards/{the_board.id}?as_of={day}")
    assert response.status_code == 422
    assert "as_of: must be a date as YYYY-MM-DD" in response.get_data(as_text=True)


def test_history_names_every_field_saved_with_a_rag_change(the_board, users):
    from tracker import events
    from tracker.web.history import describe

    card = make_initiative(the_board, users["envoy"], title="Video companionship")
    change = board.edit(
        users["envoy"],
        card.id,
        1,
        {"rag": "red", "rag_reason": "Funding fell through", "next_step": "Find a funder"},
    )
    db.session.commit()
    sentence = describe(events.envelope(change.event), {"stages": {}, "grand_challenges": {}})
    assert sentence == (
        "changed RAG from not set to red: Funding fell through; also edited the next step"
    )
