"""The card's Move… form (stage, Grand Challenge, position) and the board's find: without a
script, the card a move or a find reaches comes back focused, with what happened said on it."""

from __future__ import annotations

import re

from tests.factories import challenge, make_board, make_initiative, stage
from tracker import board
from tracker.extensions import db
from tracker.models import Initiative


def post(client, auth, path: str, data: dict) -> object:
    return client.post(path, data={**data, "csrf_token": auth.csrf_token("/")})


def focused_card(page: str) -> tuple[str, str] | None:
    """(initiative id, confirmation) of the card that takes the focus as the page loads."""
    match = re.search(
        r'<li class="card[^"]*" id="initiative-(\d+)"[^>]*tabindex="-1" autofocus '
        r'aria-describedby="card-confirmation">\s*'
        r'<p class="card-confirmation" id="card-confirmation" role="status">([^<]*)</p>',
        page,
    )
    return None if match is None else (match.group(1), match.group(2))


def top_messages(page: str) -> str:
    match = re.search(r'<div class="flashes" role="status">(.*?)</div>', page, re.S)
    return "" if match is None else match.group(1)


def test_move_form_chooses_stage_grand_challenge_and_position(client, auth, the_board, users):
    ageing, mobility = challenge(the_board), challenge(the_board, "Future of Mobility")
    pilot = stage(the_board, "Pilot")
    there = [
        make_initiative(the_board, users["envoy"], title=f"There {i}", grand_challenge_id=mobility)
        for i in range(3)
    ]
    for card in there:
        board.move(users["envoy"], card.id, card.version, pilot)
        db.session.commit()
    mover = make_initiative(the_board, users["envoy"], title="Mover", grand_challenge_id=ageing)
    auth.login(users["envoy"])

    response = post(
        client,
        auth,
        f"/initiatives/{mover.id}/move",
        {"stage_id": pilot, "grand_challenge_id": mobility, "position": 2, "version": 1},
    )

    assert response.status_code == 302
    # Back on the board itself, not at a fragment: a fragment would stop the browser from
    # focusing the card.
    assert response.headers["Location"].endswith(f"/boards/{the_board.id}")
    db.session.expire_all()
    moved = db.session.get(Initiative, mover.id)
    assert (moved.stage_id, moved.grand_challenge_id, moved.position) == (pilot, mobility, 1)
    cell = [c.id for c in board.board_cards(the_board.id) if c.stage_id == pilot]
    assert cell == [there[0].id, mover.id, there[1].id, there[2].id]

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert focused_card(page) == (
        str(mover.id),
        "Moved “Mover” to Pilot in Future of Mobility, position 2.",
    )
    assert "Moved “Mover”" not in top_messages(page)
    # Said once: the next visit focuses nothing.
    again = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert focused_card(again) is None
    assert "autofocus" not in again


def test_move_form_without_position_or_grand_challenge_keeps_the_swimlane(
    client, auth, the_board, users
):
    mobility = challenge(the_board, "Future of Mobility")
    card = make_initiative(
        the_board, users["envoy"], title="Keeps lane", grand_challenge_id=mobility
    )
    auth.login(users["envoy"])
    explore = stage(the_board, "Exploring")
    response = post(
        client, auth, f"/initiatives/{card.id}/move", {"stage_id": explore, "version": 1}
    )
    db.session.expire_all()
    moved = db.session.get(Initiative, card.id)
    assert (moved.stage_id, moved.grand_challenge_id) == (explore, mobility)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert focused_card(page) == (str(card.id), "Moved “Keeps lane” to Exploring.")


def test_move_form_refuses_bad_places_naming_them_and_changes_nothing(
    client, auth, the_board, users
):
    card = make_initiative(the_board, users["envoy"], title="Stays")
    foreign_lane = make_board("Another board").grand_challenges[0].id
    db.session.commit()
    auth.login(users["envoy"])
    explore = stage(the_board, "Exploring")
    cases = [
        ({"grand_challenge_id": foreign_lane}, "Grand Challenge"),
        ({"position": 0}, "Position"),
        ({"position": "two"}, "Position"),
    ]
    for extra, named in cases:
        response = post(
            client,
            auth,
            f"/initiatives/{card.id}/move",
            {"stage_id": explore, "version": 1, **extra},
        )
        assert response.status_code == 302, extra
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert named.lower() in top_messages(page).lower(), (extra, top_messages(page))
        db.session.expire_all()
        assert db.session.get(Initiative, card.id).stage_id == stage(the_board, "Proposed")


def test_a_viewer_cannot_move_whatever_the_form_says(client, auth, the_board, users):
    card = make_initiative(the_board, users["envoy"], title="Not yours")
    auth.login(users["viewer"])
    for form in (
        {"stage_id": stage(the_board, "Pilot"), "grand_challenge_id": 999_999, "version": 1},
        {"stage_id": "x", "position": "0", "version": "old"},
    ):
        # Permission before validation: a bad form changes nothing of the answer.
        response = post(client, auth, f"/initiatives/{card.id}/move", form)
        assert response.status_code == 403, form
    db.session.expire_all()
    assert db.session.get(Initiative, card.id).version == 1


def test_find_focuses_the_first_card_whose_title_matches_ignoring_case_and_accents(
    client, auth, the_board, users
):
    make_initiative(the_board, users["envoy"], title="Other work")
    cafe = make_initiative(the_board, users["envoy"], title="Café Society pilots")
    auth.login(users["viewer"])
    page = client.get(f"/boards/{the_board.id}?find=CAFE%20soc").get_data(as_text=True)
    assert focused_card(page) == (
        str(cafe.id),
        "Found “Café Society pilots”: Proposed, Ageing Society.",
    )


def test_find_says_when_nothing_matches_and_refuses_what_is_not_text(
    client, auth, the_board, users
):
    make_initiative(the_board, users["envoy"], title="Something")
    auth.login(users["viewer"])
    missing = client.get(f"/boards/{the_board.id}?find=zebra").get_data(as_text=True)
    assert focused_card(missing) is None
    assert "No initiative on this board has “zebra” in its title." in top_messages(missing)
    # The find box keeps what was typed, focused, to try again.
    assert re.search(r'id="find-initiative" name="find" value="zebra"[^>]*autofocus', missing)

    control = client.get(f"/boards/{the_board.id}?find=a%01b")
    assert control.status_code == 200
    assert "Find: must not contain control characters" in top_messages(
        control.get_data(as_text=True)
    )
    long = client.get(f"/boards/{the_board.id}?find={'x' * 201}")
    assert long.status_code == 200
    assert "Find: must be at most 200 characters." in top_messages(long.get_data(as_text=True))
    markup = client.get(f"/boards/{the_board.id}?find=%3Cscript%3E").get_data(as_text=True)
    assert "<script>" not in top_messages(markup)
    assert "&lt;script&gt;" in top_messages(markup)


def test_the_confirmation_says_where_the_card_went_not_what_was_typed(
    client, auth, the_board, users
):
    pilot = stage(the_board, "Pilot")
    mover = make_initiative(the_board, users["envoy"], title="Far")
    auth.login(users["envoy"])
    response = post(
        client,
        auth,
        f"/initiatives/{mover.id}/move",
        {"stage_id": pilot, "position": 50, "version": 1},
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert focused_card(page) == (str(mover.id), "Moved “Far” to Pilot, position 1.")


def test_a_move_from_a_filtered_board_comes_back_to_the_same_view(client, auth, the_board, users):
    card = make_initiative(the_board, users["envoy"], title="Filtered", rag="red", rag_reason="x")
    make_initiative(the_board, users["envoy"], title="Hidden by the filter")
    auth.login(users["envoy"])
    page = client.get(f"/boards/{the_board.id}?rag=red").get_data(as_text=True)
    back = re.search(r'name="next" value="([^"]*)"', page)
    assert back is not None
    assert back.group(1) == f"/boards/{the_board.id}?rag=red"
    response = post(
        client,
        auth,
        f"/initiatives/{card.id}/move",
        {"stage_id": stage(the_board, "Exploring"), "version": 1, "next": back.group(1)},
    )
    assert response.headers["Location"].endswith(f"/boards/{the_board.id}?rag=red")
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert focused_card(after) == (str(card.id), "Moved “Filtered” to Exploring.")
    assert "Hidden by the filter" not in after


def test_a_confirmation_waits_for_its_own_board(client, auth, the_board, users):
    card = make_initiative(the_board, users["envoy"], title="Here")
    other = make_board("Elsewhere")
    db.session.commit()
    auth.login(users["envoy"])
    post(
        client,
        auth,
        f"/initiatives/{card.id}/move",
        {"stage_id": stage(the_board, "Pilot"), "version": 1},
    )
    elsewhere = client.get(f"/boards/{other.id}").get_data(as_text=True)
    assert "Moved “Here”" not in elsewhere
    here = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert focused_card(here) == (str(card.id), "Moved “Here” to Pilot.")
