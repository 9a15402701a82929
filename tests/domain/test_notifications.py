"""Notifications in the app: who follows what, one notification per follower per change by
someone else (written with the change), the list and marking read (one's own only), and the
unread count pushed to that person's sockets alone."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import AuthActions
from tests.factories import make_initiative, make_organisation, make_user, role_type, stage
from tracker import board, following, notifications, unit_of_work
from tracker.errors import Forbidden, NotFound
from tracker.extensions import db, socketio
from tracker.models import Notification


def notified(initiative_id: int | None = None) -> dict[str, list[str]]:
    """Who has notifications, as {email: [event types]}, oldest first."""
    from tracker.models import Event, User

    rows = db.session.execute(
        sa.select(User.email, Event.type)
        .join(Notification, Notification.user_id == User.id)
        .join(Event, Event.id == Notification.event_id)
        .order_by(Notification.id)
    ).all()
    found: dict[str, list[str]] = {}
    for email, kind in rows:
        found.setdefault(email, []).append(kind)
    return found


def commit(change: Any) -> Any:
    unit_of_work.commit_change(change)
    return change


@pytest.fixture
def shared(the_board, users) -> int:
    """Proposed by the LEP (envoy); the member's Police holds Partner on it."""
    card = make_initiative(the_board, users["envoy"], title="Video companionship")
    commit(board.claim(users["envoy"], card.id, role_type(the_board, "Partner").id,
                       users["member"].organisation_id))  # fmt: skip
    db.session.execute(sa.delete(Notification))
    db.session.commit()
    return card.id


def test_a_change_reaches_the_organisations_involved_but_not_the_person_who_made_it(
    shared, the_board, users
) -> None:
    commit(board.move(users["envoy"], shared, 1, stage(the_board, "Exploring"), 0))
    who = notified()
    # The LEP proposed it (admin, viewer); Police holds a role (member); the envoy moved it.
    assert set(who) == {users["admin"].email, users["viewer"].email, users["member"].email}
    assert who[users["member"].email] == ["initiative_moved"]


def test_watching_and_not_watching_override_the_organisations_part(
    shared, the_board, users
) -> None:
    outsider = make_user("member", make_organisation("University"))
    other = make_initiative(the_board, users["envoy"], title="Bus shelters")
    commit(following.set_watching(users["member"], shared, False))
    commit(following.set_watching(outsider, other.id, True))
    db.session.execute(sa.delete(Notification))
    db.session.commit()
    commit(board.move(users["envoy"], shared, 1, stage(the_board, "Exploring"), 0))
    commit(board.move(users["envoy"], other.id, 1, stage(the_board, "Exploring"), 0))
    who = notified()
    assert users["member"].email not in who
    assert who[outsider.email] == ["initiative_moved"]
    assert following.watching(outsider, other.id) is True
    assert following.watching(users["member"], shared) is False


def test_disabled_people_and_organisations_hear_nothing(shared, the_board, users) -> None:
    users["member"].active = False
    db.session.commit()
    commit(board.add_comment(users["envoy"], shared, "Met the CTOs today."))
    assert users["member"].email not in notified()


def test_an_envoy_following_a_grand_challenge_hears_of_everything_in_it(the_board, users) -> None:
    envoy2 = make_user("envoy", users["envoy"].organisation)
    ageing = next(g.id for g in the_board.grand_challenges if g.name == "Ageing Society")
    commit(following.follow_board(envoy2, the_board.id, ageing))
    police = users["member"]
    mobility = next(g.id for g in the_board.grand_challenges if g.name == "Future of Mobility")
    for title, lane in (("Care robots", ageing), ("Bus lanes", mobility)):
        commit(board.propose(police, the_board.id, {"title": title, "grand_challenge_id": lane}))
    assert notified().get(envoy2.email) == ["initiative_created"]  # Care robots only
    with pytest.raises(Forbidden):  # a member may not follow a whole board
        following.follow_board(police, the_board.id, None)


def test_the_list_and_marking_read_are_ones_own(client, shared, the_board, users) -> None:
    commit(board.move(users["envoy"], shared, 1, stage(the_board, "Exploring"), 0))
    commit(board.add_comment(users["envoy"], shared, "Met the CTOs today."))
    auth = AuthActions(client)
    auth.login(users["member"])
    page = client.get("/notifications").get_data(as_text=True)
    assert "2 unread." in page and "(2 unread)" in page
    assert "Video companionship</a>:\n" in page or "Video companionship</a>:" in page
    assert "moved it from Proposed to Exploring" in page
    mine = db.session.scalars(
        sa.select(Notification.id).where(Notification.user_id == users["member"].id)
    ).all()
    theirs = db.session.scalar(
        sa.select(Notification.id).where(Notification.user_id == users["viewer"].id)
    )
    token = auth.csrf_token("/notifications")
    assert (
        client.post(f"/notifications/{theirs}/read", data={"csrf_token": token}).status_code == 404
    )
    # The form brings a keyboard user back to the entry they were on, not the top.
    page = client.get("/notifications").get_data(as_text=True)
    back = f"/notifications#notification-{mine[0]}"
    assert f'name="next" value="{back}"' in page
    done = client.post(f"/notifications/{mine[0]}/read", data={"csrf_token": token, "next": back})
    assert done.status_code == 302 and done.headers["Location"] == back
    assert notifications.unread_count(users["member"].id) == 1
    assert notifications.unread_count(users["viewer"].id) == 2  # untouched
    assert client.post("/notifications/read", data={"csrf_token": token}).status_code == 302
    assert notifications.unread_count(users["member"].id) == 0
    with pytest.raises(NotFound):
        notifications.mark_read(users["member"], theirs)


def test_the_unread_count_reaches_that_persons_sockets_only(app, shared, the_board, users) -> None:
    sockets = {}
    for role in ("member", "envoy"):
        web = app.test_client()
        AuthActions(web).login(users[role])
        sockets[role] = socketio.test_client(app, flask_test_client=web)
        sockets[role].get_received()
    outsider = make_user("member", make_organisation("University"))
    db.session.commit()
    web = app.test_client()
    AuthActions(web).login(outsider)
    sockets["outsider"] = socketio.test_client(app, flask_test_client=web)
    sockets["outsider"].get_received()
    commit(board.move(users["envoy"], shared, 1, stage(the_board, "Exploring"), 0))
    received = {role: s.get_received() for role, s in sockets.items()}
    assert [m["args"] for m in received["member"] if m["name"] == "notifications"] == [
        [{"unread": 1}]
    ]
    assert not [m for m in received["envoy"] if m["name"] == "notifications"]
    assert not [m for m in received["outsider"] if m["name"] == "notifications"]
    for s in sockets.values():
        s.disconnect()


def test_watch_button_on_the_initiative_page(client, shared, users) -> None:
    auth = AuthActions(client)
    auth.login(users["member"])
    page = client.get(f"/initiatives/{shared}").get_data(as_text=True)
    assert "Stop watching" in page  # Police holds a role on it
    token = auth.csrf_token(f"/initiatives/{shared}")
    done = client.post(f"/initiatives/{shared}/watch", data={"csrf_token": token, "watching": "0"})
    assert done.status_code == 302
    assert ">Watch<" in client.get(f"/initiatives/{shared}").get_data(as_text=True)
    bad = client.post(f"/initiatives/{shared}/watch", data={"csrf_token": token, "watching": "x"})
    assert bad.status_code == 302
    assert (
        client.post(
            "/initiatives/999999/watch", data={"csrf_token": token, "watching": "1"}
        ).status_code
        == 404
    )


def test_an_envoy_follows_and_stops_following_from_the_board_page(client, the_board, users) -> None:
    from tracker.models import BoardFollow

    auth = AuthActions(client)
    auth.login(users["envoy"])
    page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert "Follow this board" in page
    token = auth.csrf_token(f"/boards/{the_board.id}")
    lane = the_board.grand_challenges[2]
    done = client.post(
        f"/boards/{the_board.id}/follows",
        data={"csrf_token": token, "grand_challenge_id": str(lane.id)},
    )
    assert done.status_code == 302
    page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert f"You follow {lane.name}." in page and "(1 followed)" in page
    bad = client.post(
        f"/boards/{the_board.id}/follows", data={"csrf_token": token, "grand_challenge_id": "x"}
    )
    assert bad.status_code == 302
    follow_id = db.session.scalar(sa.select(BoardFollow.id))
    assert (
        client.post(f"/follows/{follow_id}/delete", data={"csrf_token": token}).status_code == 302
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BoardFollow)) == 0


def test_a_member_is_not_offered_following_a_board_and_is_refused(client, the_board, users) -> None:
    auth = AuthActions(client)
    auth.login(users["member"])
    assert "Follow this board" not in client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    token = auth.csrf_token(f"/boards/{the_board.id}")
    refused = client.post(f"/boards/{the_board.id}/follows", data={"csrf_token": token})
    assert refused.status_code == 403


def card_button(page: str, initiative_id: int) -> str:
    """The text of the Watch button on one card of a board page or card fragment."""
    import re

    start = page.index(f'id="initiative-{initiative_id}"')
    form = page[start:].split('class="watch"', 1)[1]
    found = re.search(r'<button type="submit" class="small">([^<]*)<', form)
    assert found is not None
    return found.group(1)


def test_each_card_of_the_board_says_whether_its_viewer_follows_it(
    client, shared, the_board, users
) -> None:
    lane = the_board.grand_challenges[0]
    other = make_initiative(
        the_board, users["envoy"], title="Night buses", grand_challenge_id=lane.id
    )
    commit(following.follow_board(users["admin"], the_board.id, lane.id))
    auth = AuthActions(client)
    # The same cards for three viewers: the cache of rendered cards keeps them apart.
    seen = {}
    for who in ("member", "admin", "member"):
        auth.login(users[who])
        page = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
        seen[who] = (card_button(page, shared), card_button(page, other.id))
        auth.logout()
    # Police holds a role on the first, and nothing on the second; the admin's LEP proposed
    # both, and the admin follows the second's Grand Challenge too.
    assert seen == {
        "member": ("Stop watching", "Watch"),
        "admin": ("Stop watching", "Stop watching"),
    }

    auth.login(users["member"])
    token = auth.csrf_token(f"/boards/{the_board.id}")
    back = f"/boards/{the_board.id}?rag=green"
    done = client.post(
        f"/initiatives/{other.id}/watch",
        data={"csrf_token": token, "watching": "1", "next": back},
    )
    assert done.status_code == 302 and done.headers["Location"] == back
    fragment = client.get(f"/initiatives/{other.id}/card").get_data(as_text=True)
    assert card_button(fragment, other.id) == "Stop watching"
    assert 'name="watching" value="0"' in fragment


def test_the_boards_answer_agrees_with_watching_one_initiative_at_a_time(
    shared, the_board, users
) -> None:
    lanes = the_board.grand_challenges
    cards = [
        make_initiative(
            the_board, users["envoy"], title=f"Card {n}", grand_challenge_id=lanes[n % 3].id
        )
        for n in range(6)
    ]
    ids = [shared] + [card.id for card in cards]
    commit(following.set_watching(users["member"], shared, False))
    commit(following.set_watching(users["member"], cards[0].id, True))
    commit(following.set_watching(users["admin"], cards[1].id, False))
    commit(following.follow_board(users["envoy"], the_board.id, lanes[1].id))
    commit(following.set_watching(users["envoy"], cards[1].id, False))
    listed = [card for card in board.board_cards(the_board.id) if card.id in ids]
    for who in ("member", "admin", "envoy", "viewer"):
        user = users[who]
        follows = following.board_follows(user.id, the_board.id)
        expected = {i for i in ids if following.watching(user, i)}
        assert following.watched_among(user, the_board.id, listed, follows) == expected, who
    # Not a vacuous agreement: each viewer follows some and not others.
    member = following.watched_among(users["member"], the_board.id, listed, [])
    assert member == {cards[0].id}
