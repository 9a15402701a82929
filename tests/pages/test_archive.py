"""Archive you can trust: archiving asks first and says what it does; each board lists its
archived initiatives with who archived them and when, and envoys and admins restore them
there (an event, as archiving is)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests.conftest import last_seq
from tests.factories import make_initiative
from tracker import board
from tracker.extensions import db
from tracker.models import Event, Initiative


def travel(moment: datetime):
    return time_machine.travel(moment, tick=False)


def post(client, auth, path: str, data: dict) -> object:
    return client.post(path, data={**data, "csrf_token": auth.csrf_token("/")})


def test_archiving_asks_first_and_says_what_it_does(client, auth, the_board, users):
    card = make_initiative(the_board, users["envoy"], title="Video companionship")
    auth.login(users["envoy"])
    page = client.get(f"/initiatives/{card.id}").get_data(as_text=True)
    # The initiative page offers a link to the question, not a one-click archive.
    assert f'href="/initiatives/{card.id}/archive">Archive…</a>' in page
    assert 'name="archived" value="1"' not in page

    before = last_seq(the_board.id)
    question = client.get(f"/initiatives/{card.id}/archive")
    text = question.get_data(as_text=True)
    assert question.status_code == 200
    assert "<h1>Archive “Video companionship”?</h1>" in text
    assert "Nothing is deleted: its roles, notes and history are kept" in text
    assert f'href="/boards/{the_board.id}/archived"' in text
    assert "Cancel, keep it on the board" in text
    assert last_seq(the_board.id) == before  # asking changes nothing

    version = re.search(r'name="version" value="(\d+)"', text)
    assert version is not None
    done = post(
        client,
        auth,
        f"/initiatives/{card.id}/archive",
        {"version": version.group(1), "archived": "1"},
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Initiative, card.id).archived
    assert last_seq(the_board.id) == before + 1
    # Asked again once archived: back to the initiative, which says so.
    again = client.get(f"/initiatives/{card.id}/archive", follow_redirects=True)
    assert "This initiative is archived already." in again.get_data(as_text=True)


def test_only_envoys_and_admins_are_asked_to_archive(client, auth, the_board, users):
    card = make_initiative(the_board, users["member"], title="Police card")
    for role, status in (("viewer", 403), ("member", 403), ("envoy", 200), ("admin", 200)):
        auth.login(users[role])
        assert client.get(f"/initiatives/{card.id}/archive").status_code == status, role
        page = client.get(f"/initiatives/{card.id}").get_data(as_text=True)
        assert ("Archive…" in page) is (status == 200), role
        auth.logout()
    auth.login(users["envoy"])
    assert client.get("/initiatives/999999/archive").status_code == 404


def test_the_archived_list_says_who_archived_each_and_when(client, auth, the_board, users):
    start = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # GMT: London shows 09:30
    with travel(start):
        older = make_initiative(the_board, users["envoy"], title="Older pilot")
        newer = make_initiative(the_board, users["envoy"], title="Newer pilot")
        live = make_initiative(the_board, users["envoy"], title="Still on the board")
        board.archive(users["envoy"], older.id, 1)
        db.session.commit()
    with travel(start + timedelta(days=1, hours=2)):
        board.archive(users["admin"], newer.id, 1)
        db.session.commit()

    with travel(start + timedelta(days=2)):
        auth.login(users["viewer"])
        board_page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
        assert f'href="/boards/{the_board.id}/archived">Archived initiatives</a>' in board_page
        page = client.get(f"/boards/{the_board.id}/archived")
        text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "2 archived on this board, the most recently archived first." in text
    assert text.index("Newer pilot") < text.index("Older pilot")
    assert live.title not in text
    admin, envoy = users["admin"], users["envoy"]
    assert f"Archived 03 Mar 2026 11:30 by {admin.name} ({admin.organisation.name})" in text
    assert f"Archived 02 Mar 2026 09:30 by {envoy.name} ({envoy.organisation.name})" in text
    assert "Restore" not in text  # a viewer may look, not restore


def test_an_envoy_restores_from_the_archived_list(client, auth, the_board, users):
    card = make_initiative(the_board, users["envoy"], title="Video companionship")
    board.archive(users["envoy"], card.id, 1)
    db.session.commit()
    auth.login(users["envoy"])
    listing = client.get(f"/boards/{the_board.id}/archived").get_data(as_text=True)
    assert 'Restore<span class="visually-hidden"> Video companionship</span>' in listing
    before = last_seq(the_board.id)

    done = post(
        client,
        auth,
        f"/initiatives/{card.id}/archive",
        {"version": 2, "archived": "0", "next": f"/boards/{the_board.id}/archived"},
    )
    assert done.status_code == 302
    assert done.headers["Location"] == f"/boards/{the_board.id}/archived"
    after = client.get(f"/boards/{the_board.id}/archived").get_data(as_text=True)
    assert "Initiative restored." in after
    assert "No initiative on this board is archived." in after
    db.session.expire_all()
    assert not db.session.get(Initiative, card.id).archived
    assert last_seq(the_board.id) == before + 1
    event = db.session.scalars(
        db.select(Event).where(Event.board_id == the_board.id).order_by(Event.seq.desc())
    ).first()
    assert event is not None and event.type == "initiative_restored"


def test_a_stale_restore_from_the_list_is_refused_and_changes_nothing(
    client, auth, the_board, users
):
    card = make_initiative(the_board, users["envoy"], title="Video companionship")
    board.archive(users["envoy"], card.id, 1)
    db.session.commit()
    auth.login(users["envoy"])
    before = last_seq(the_board.id)
    listing = f"/boards/{the_board.id}/archived"
    refused = post(
        client,
        auth,
        f"/initiatives/{card.id}/archive",
        {"version": 1, "archived": "0", "next": listing},
    )
    assert refused.status_code == 302
    assert refused.headers["Location"] == listing
    said = client.get(listing).get_data(as_text=True)
    assert '<p class="flash flash-error">Someone else changed this initiative a moment ago' in said
    assert last_seq(the_board.id) == before
    db.session.expire_all()
    assert db.session.get(Initiative, card.id).archived


@pytest.mark.parametrize(
    "elsewhere", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "archived"]
)
def test_a_restore_never_sends_the_browser_off_the_site(client, auth, the_board, users, elsewhere):
    card = make_initiative(the_board, users["envoy"], title="Video companionship")
    board.archive(users["envoy"], card.id, 1)
    db.session.commit()
    auth.login(users["envoy"])
    done = post(
        client,
        auth,
        f"/initiatives/{card.id}/archive",
        {"version": 2, "archived": "0", "next": elsewhere},
    )
    assert done.status_code == 302
    assert done.headers["Location"] == f"/initiatives/{card.id}"


def test_the_list_names_the_latest_archiving_and_survives_one_with_no_record(
    client, auth, the_board, users
):
    start = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # BST: London shows 09:00
    with travel(start):
        again = make_initiative(the_board, users["envoy"], title="Archived twice")
        board.archive(users["envoy"], again.id, 1)
        db.session.commit()
    with travel(start + timedelta(days=1)):
        board.archive(users["envoy"], again.id, 2, False)
        db.session.commit()
    with travel(start + timedelta(days=2)):
        board.archive(users["admin"], again.id, 3)
        db.session.commit()
    # Archived by a route that left no event (as an imported or hand-edited row would be).
    unrecorded = make_initiative(the_board, users["envoy"], title="Archived without a record")
    db.session.execute(
        sa.update(Initiative).where(Initiative.id == unrecorded.id).values(archived=True)
    )
    db.session.commit()

    auth.login(users["viewer"])
    text = client.get(f"/boards/{the_board.id}/archived").get_data(as_text=True)
    admin = users["admin"]
    assert f"Archived 03 Jun 2026 09:00 by {admin.name} ({admin.organisation.name})" in text
    assert "02 Jun 2026" not in text and "01 Jun 2026" not in text
    assert "Archived (when and by whom is not recorded)" in text
    assert text.index("Archived twice") < text.index("Archived without a record")


def test_the_archived_list_of_no_such_board_is_not_found(client, auth, users):
    auth.login(users["viewer"])
    assert client.get("/boards/999999/archived").status_code == 404
