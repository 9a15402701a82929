"""The board's filters (`tracker.board.filters`), through `GET /api/v1/boards/{id}` and the
board page: each narrows the cards, they combine, the page's stage headings say "n of m",
and a bad value is refused naming its parameter (422 from the API; the error page for the
board page)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from flask.testing import FlaskClient

from tests.api.test_permissions import assert_error_shape
from tests.conftest import AuthActions
from tests.factories import (
    challenge,
    make_initiative,
    make_organisation,
    make_token,
    role_type,
    stage,
)
from tracker import board
from tracker.extensions import db
from tracker.models import Board, User

# Every test runs at this moment (a Wednesday): "overdue", "within 14 days" and "no update for
# 14 days" are counted from it, never from the wall clock.
NOW = datetime(2026, 6, 10, 11, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cards(the_board: Board, users: dict[str, User], frozen: Any) -> dict[str, int]:
    """Six cards, each the one that some filter keeps."""
    envoy = users["envoy"]
    council = make_organisation("Borough Council")
    nhs = make_organisation("Hospital Trust")
    db.session.commit()
    ids: dict[str, int] = {}

    def add(name: str, **fields: Any) -> Any:
        initiative = make_initiative(the_board, envoy, title=fields.pop("title", name), **fields)
        ids[name] = initiative.id
        return initiative

    frozen.move_to(datetime(2026, 5, 1, 9, 0, tzinfo=UTC))  # 40 days before NOW
    add("quiet", title="Quiet corner", summary="Nothing has happened here.")
    frozen.move_to(NOW)
    add(
        "cafe",
        title="Café companions",
        summary="Volunteers visit people at home.",
        rag="red",
        rag_reason="No funder yet",
        proposing_organisation_id=council.id,
    )
    add(
        "overdue",
        title="Data sharing",
        next_step="Sign the agreement",
        next_step_due=date(2026, 6, 9),
        grand_challenge_id=challenge(the_board, "Clean Growth"),
    )
    add("soon", title="Air quality", next_step="Pilot", next_step_due=date(2026, 6, 24))
    add("later", title="Buses", next_step="Tender", next_step_due=date(2026, 6, 25))
    led = add("led", title="Ward robots", barriers="Ethics approval (ÉTHIQUE)")
    board.claim(envoy, led.id, role_type(the_board, "Lead").id, nhs.id)
    board.claim(envoy, ids["cafe"], role_type(the_board, "Partner").id, nhs.id)
    db.session.commit()
    moved = board.get_initiative(ids["later"])
    board.move(envoy, moved.id, moved.version, stage(the_board, "Pilot"))
    db.session.commit()
    ids["council"], ids["nhs"] = council.id, nhs.id
    return ids


def listed(client: FlaskClient, token: str, board_id: int, query: str) -> list[str]:
    response = client.get(
        f"/api/v1/boards/{board_id}?{query}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.get_json()
    return sorted(i["title"] for i in response.get_json()["initiatives"])


def test_each_filter_narrows_the_board_and_filters_combine(
    client: FlaskClient, the_board: Board, users: dict[str, User], cards: dict[str, int]
) -> None:
    token = make_token(users["viewer"])
    b = the_board.id
    everything = listed(client, token, b, "")
    assert len(everything) == 6
    lead = role_type(the_board, "Lead").id
    partner = role_type(the_board, "Partner").id
    cases = {
        "rag=red": ["Café companions"],
        "rag=red&rag=not_set": [t for t in everything if t != "Café companions"]
        + ["Café companions"],
        f"grand_challenge_id={challenge(the_board, 'Clean Growth')}": ["Data sharing"],
        f"stage_id={stage(the_board, 'Pilot')}": ["Buses"],
        f"organisation_id={cards['council']}": ["Café companions"],
        f"organisation_id={cards['council']}&involvement=holds": [],
        f"organisation_id={cards['nhs']}": ["Café companions", "Ward robots"],
        f"organisation_id={cards['nhs']}&involvement=proposed": [],
        f"organisation_id={cards['nhs']}&role_type_id={lead}": ["Ward robots"],
        f"role_type_id={partner}": ["Café companions"],
        f"wanted={lead}": [t for t in everything if t != "Ward robots"],
        "due=overdue": ["Data sharing"],
        "due=soon": ["Air quality", "Data sharing"],
        "stale=1": ["Quiet corner"],
        "q=cafe": ["Café companions"],
        "q=AGREEMENT": ["Data sharing"],
        "q=ethique": ["Ward robots"],
        "q=volunteers%20VISIT": ["Café companions"],
        "q=nowhere": [],
        # Combined: AND across parameters.
        "rag=red&q=companions": ["Café companions"],
        "rag=red&q=robots": [],
        f"due=soon&grand_challenge_id={challenge(the_board, 'Clean Growth')}": ["Data sharing"],
    }
    for query, expected in cases.items():
        assert listed(client, token, b, query) == sorted(expected), query


def test_archived_lists_the_archived_instead(
    client: FlaskClient, the_board: Board, users: dict[str, User], cards: dict[str, int]
) -> None:
    board.archive(users["envoy"], cards["quiet"], 1)
    db.session.commit()
    token = make_token(users["viewer"])
    assert listed(client, token, the_board.id, "archived=1") == ["Quiet corner"]
    assert "Quiet corner" not in listed(client, token, the_board.id, "")


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("rag=purple", "rag"),
        ("stage_id=abc", "stage_id"),
        ("stage_id=999999", "stage_id"),
        ("grand_challenge_id=999999", "grand_challenge_id"),
        ("organisation_id=999999", "organisation_id"),
        ("organisation_id=" + "9" * 40, "organisation_id"),
        # One past the largest id: PostgreSQL's integer refuses it rather than finding nothing.
        ("organisation_id=2147483648", "organisation_id"),
        ("grand_challenge_id=2147483648", "grand_challenge_id"),
        ("stage_id=2147483648", "stage_id"),
        ("role_type_id=2147483648", "role_type_id"),
        ("wanted=2147483648", "wanted"),
        ("involvement=sometimes", "involvement"),
        ("role_type_id=999999", "role_type_id"),
        ("wanted=lots", "wanted"),
        ("due=yesterday", "due"),
        ("stale=maybe", "stale"),
        ("archived=perhaps", "archived"),
        ("q=" + "x" * 201, "q"),
        ("q=a%01b", "q"),
        ("wanted=%C2%B2", "wanted"),
        ("stage_id=%C2%B2", "stage_id"),
        ("rag=red&q=fine&due=later", "due"),
    ],
)
def test_a_bad_filter_value_is_refused_naming_its_parameter(
    client: FlaskClient,
    the_board: Board,
    users: dict[str, User],
    cards: dict[str, int],
    query: str,
    parameter: str,
) -> None:
    token = make_token(users["viewer"])
    response = client.get(
        f"/api/v1/boards/{the_board.id}?{query}", headers={"Authorization": f"Bearer {token}"}
    )
    error = assert_error_shape(response, 422)
    # The parameter by name ("rag", or "rag.0": its first value).
    assert {name.split(".")[0] for name in error["fields"]} == {parameter}, error
    # The page says which filter it could not use, and shows the whole board.
    AuthActions(client).login(users["viewer"])
    page = client.get(f"/boards/{the_board.id}?{query}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"Filter {parameter}: " in text
    assert "The board is shown without filters." in text
    assert text.count('<li class="card ') == 6


def test_a_role_of_another_board_is_not_a_filter_value(
    client: FlaskClient, the_board: Board, users: dict[str, User], cards: dict[str, int]
) -> None:
    from tests.factories import make_board

    other = make_board("Another board")
    db.session.commit()
    token = make_token(users["viewer"])
    for query in (
        f"role_type_id={other.role_types[0].id}",
        f"stage_id={other.stages[0].id}",
        f"grand_challenge_id={other.grand_challenges[0].id}",
    ):
        response = client.get(
            f"/api/v1/boards/{the_board.id}?{query}",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert_error_shape(response, 422)


def test_the_board_page_shows_the_filtered_cards_with_n_of_m_counts(
    client: FlaskClient, the_board: Board, users: dict[str, User], cards: dict[str, int]
) -> None:
    AuthActions(client).login(users["member"])
    page = client.get(f"/boards/{the_board.id}?due=soon").get_data(as_text=True)
    assert page.count('<li class="card ') == 2
    assert "Data sharing" in page and "Air quality" in page and "Buses" not in page
    proposed = stage(the_board, "Proposed")
    # "2 of 5" in Proposed (Buses moved to Pilot).
    assert (
        f'id="stage-{proposed}"' in page
        and '<span class="count">2</span> of <span class="total">5</span>' in page
    )
    assert (
        '(on: <span class="of-shown">2</span> of <span class="of-total">6</span> initiatives shown)'
        in page
    )
    # The form keeps the choice, so the URL and the form say the same.
    assert '<option value="soon" selected>' in page
    unfiltered = client.get(f"/boards/{the_board.id}").get_data(as_text=True)
    assert unfiltered.count('<li class="card ') == 6
    assert 'class="total"' not in unfiltered


def test_archived_cards_on_the_board_page_offer_no_move(
    client: FlaskClient, the_board: Board, users: dict[str, User], cards: dict[str, int]
) -> None:
    board.archive(users["envoy"], cards["quiet"], 1)
    db.session.commit()
    AuthActions(client).login(users["envoy"])
    page = client.get(f"/boards/{the_board.id}?archived=1").get_data(as_text=True)
    assert page.count('<li class="card ') == 1
    assert "Quiet corner" in page
    assert 'class="move"' not in page


def test_the_pages_own_filter_urls_work_on_the_api_too(
    client: FlaskClient, the_board: Board, users: dict[str, User], cards: dict[str, int]
) -> None:
    """The board page's form sends every field, empty when unused: empty is no filter."""
    token = make_token(users["viewer"])
    query = (
        "q=&grand_challenge_id=&stage_id=&rag=red&organisation_id=&involvement=any"
        "&role_type_id=&wanted=&due=&stale="
    )
    assert listed(client, token, the_board.id, query) == ["Café companions"]


def test_wanted_keeps_roles_marked_wanted_as_well_as_exclusive_roles_nobody_holds(
    client: FlaskClient, the_board: Board, users: dict[str, User], cards: dict[str, int]
) -> None:
    """With no exclusive role on the board, `wanted` keeps what is marked wanted (issue 15),
    in the API, on the page, and on the board's as-of view."""
    from tracker import unit_of_work
    from tracker.board import matching

    partner = role_type(the_board, "Partner").id
    unit_of_work.commit_change(
        matching.want_role(users["envoy"], cards["cafe"], partner, "A partner with homes")
    )
    for role in the_board.role_types:
        role.max_holders = None
    db.session.commit()
    token = make_token(users["viewer"])
    assert listed(client, token, the_board.id, "wanted=any") == ["Café companions"]
    assert listed(client, token, the_board.id, f"wanted={partner}") == ["Café companions"]
    lead = role_type(the_board, "Lead").id
    assert listed(client, token, the_board.id, f"wanted={lead}") == []
    AuthActions(client).login(users["viewer"])
    page = client.get(f"/boards/{the_board.id}?wanted=any").get_data(as_text=True)
    assert page.count('class="card ') == 1 and "Café companions" in page
    from tracker.board import filter_words, filters

    rule = filters.parse(the_board, {"wanted": ["any"]})
    assert filter_words.describe(rule, the_board, {}) == ["Role wanted: any"]


def test_stage_totals_count_every_initiative_of_a_stage_whatever_the_filter(
    client: FlaskClient, the_board: Board, users: dict[str, User], cards: dict[str, int]
) -> None:
    assert client.get(f"/boards/{the_board.id}/stage-totals").status_code == 302  # sign in first
    AuthActions(client).login(users["viewer"])
    live = client.get(f"/boards/{the_board.id}/stage-totals").get_json()["stages"]
    page = client.get(f"/boards/{the_board.id}?rag=red").get_data(as_text=True)
    for stage_id, total in live.items():
        assert f'id="stage-{stage_id}"' in page
        assert f'<span class="total">{total}</span>' in page
    assert sum(live.values()) == 6
    assert client.get(f"/boards/{the_board.id}/stage-totals?archived=1").get_json() == {
        "stages": {}
    }
    quiet = board.get_initiative(cards["later"])
    board.archive(users["envoy"], quiet.id, quiet.version)
    db.session.commit()
    archived = client.get(f"/boards/{the_board.id}/stage-totals?archived=1").get_json()["stages"]
    assert archived == {str(stage(the_board, "Pilot")): 1}
    after = client.get(f"/boards/{the_board.id}/stage-totals").get_json()["stages"]
    assert sum(after.values()) == 5
    assert client.get("/boards/999/stage-totals").status_code == 404
