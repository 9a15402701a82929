"""The board's filters in a real browser, on a board of 60 initiatives across the four Grand
Challenges: each filter and the text search narrow the board and its "n of m" counts; a
filtered URL opened in a fresh browser shows the same view; with a filter on, another user's
change that brings a card into the view (or takes it out) shows within a second."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    Api,
    BrowserErrors,
    ServedApp,
    assert_no_axe_violation,
    new_context,
    sign_in,
)

pytestmark = pytest.mark.e2e

LIVE_MS = 1000  # "within 1 s"
RAGS = ["not_set", "red", "amber", "green"]


@dataclass
class BigBoard:
    id: int
    stages: dict[str, int]
    lanes: dict[str, int]
    # title → initiative as the API answered it
    initiatives: dict[str, dict[str, Any]]


def _create_board(browser: Any, served_app: ServedApp, errors: BrowserErrors) -> str:
    name = f"Filter board {uuid.uuid4().hex[:6]}"
    context = new_context(browser, served_app, errors)
    try:
        page = context.new_page()
        sign_in(page, "admin")
        page.goto("/admin/boards")
        page.get_by_label("Board name").fill(name)
        page.get_by_role("button", name="Create board").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Shape of “{name}”")
    finally:
        context.close()
    return name


@pytest.fixture(scope="module")
def big_board(browser: Any, served_app: ServedApp, envoy_api: Api) -> BigBoard:
    """60 initiatives: 15 per Grand Challenge, RAG cycling through the four values, and a
    word in every tenth title to search for."""
    errors = BrowserErrors()
    name = _create_board(browser, served_app, errors)
    board_id = next(b["id"] for b in envoy_api.get("/boards") if b["name"] == name)
    shape = envoy_api.get(f"/boards/{board_id}")
    stages = {s["name"]: s["id"] for s in shape["stages"]}
    lanes = {g["name"]: g["id"] for g in shape["grand_challenges"]}
    lane_ids = list(lanes.values())
    stage_ids = list(stages.values())
    made: dict[str, dict[str, Any]] = {}
    for n in range(60):
        title = f"Card {n:02d}" + (" heron" if n % 10 == 3 else "")
        created = envoy_api.post(
            f"/boards/{board_id}/initiatives",
            {
                "title": title,
                "summary": "Résumé: a card for the filter tests." if n % 15 == 7 else "",
                "stage_id": stage_ids[n % 3],
                # Not n % 4 as the RAG: every RAG in every Grand Challenge.
                "grand_challenge_id": lane_ids[(n // 4) % 4],
            },
        )
        rag = RAGS[n % 4]
        if rag != "not_set":
            created = envoy_api.patch(
                f"/initiatives/{created['id']}",
                {"version": created["version"], "rag": rag, "rag_reason": "Set by the test."},
            )
        made[title] = created
    assert not errors.unexpected(), errors.unexpected()
    return BigBoard(board_id, stages, lanes, made)


def shown_titles(page: Page) -> list[str]:
    return sorted(page.locator("#board li.card .card-title").all_inner_texts())


def test_each_filter_narrows_the_board_and_its_counts(page: Page, big_board: BigBoard) -> None:
    sign_in(page, "member")
    page.goto(f"/boards/{big_board.id}")
    expect(page.locator("#board li.card")).to_have_count(60)
    page.get_by_text("Filter and search").click()
    assert_no_axe_violation(page)  # the filters open

    # RAG: Red only.
    page.get_by_role("group", name="RAG status").get_by_label("Red").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]rag=red(&|$)"))
    expect(page.locator("#board li.card")).to_have_count(15)
    reds = sorted(t for t, i in big_board.initiatives.items() if i["rag"] == "red")
    assert shown_titles(page) == reds
    proposed = page.locator(f"#stage-{big_board.stages['Proposed']} .stage-count")
    in_proposed = sum(
        1 for i in big_board.initiatives.values() if i["stage_id"] == big_board.stages["Proposed"]
    )
    red_in_proposed = sum(
        1
        for i in big_board.initiatives.values()
        if i["stage_id"] == big_board.stages["Proposed"] and i["rag"] == "red"
    )
    expect(proposed).to_contain_text(f"{red_in_proposed} of {in_proposed}")

    # And a Grand Challenge on top: both apply.
    lane = "Clean Growth"
    page.get_by_role("group", name="Grand Challenge").get_by_label(lane).check()
    page.get_by_role("button", name="Apply filters").click()
    both = sorted(
        t
        for t, i in big_board.initiatives.items()
        if i["rag"] == "red" and i["grand_challenge_id"] == big_board.lanes[lane]
    )
    assert both and len(both) < 15
    expect(page.locator("#board li.card")).to_have_count(len(both))
    assert shown_titles(page) == both

    # Text search, ignoring case and accents, instead.
    page.goto(f"/boards/{big_board.id}?q=HERON")
    expect(page.locator("#board li.card")).to_have_count(6)
    page.goto(f"/boards/{big_board.id}?q=resume")
    expect(page.locator("#board li.card")).to_have_count(4)
    assert_no_axe_violation(page)


def test_a_filtered_url_opened_elsewhere_shows_the_same_view(
    browser: Any, served_app: ServedApp, browser_errors: BrowserErrors, big_board: BigBoard
) -> None:
    url = f"/boards/{big_board.id}?rag=amber&grand_challenge_id={big_board.lanes['Ageing Society']}"
    views = []
    for who in ("member", "viewer"):
        context = new_context(browser, served_app, browser_errors)
        try:
            page = context.new_page()
            sign_in(page, who)
            page.goto(url)
            expect(page.locator("#board li.card").first).to_be_visible()
            views.append(shown_titles(page))
            expect(
                page.get_by_role("group", name="RAG status").get_by_label("Amber")
            ).to_be_checked()
        finally:
            context.close()
    assert views[0] == views[1]
    expected = sorted(
        t
        for t, i in big_board.initiatives.items()
        if i["rag"] == "amber" and i["grand_challenge_id"] == big_board.lanes["Ageing Society"]
    )
    assert views[0] == expected


def test_with_a_filter_on_live_changes_bring_cards_in_and_take_them_out(
    page: Page, big_board: BigBoard, envoy_api: Api
) -> None:
    sign_in(page, "member")
    page.goto(f"/boards/{big_board.id}?rag=green")
    expect(page.locator("#connection-state")).to_have_text("Live")
    greens = [i for i in big_board.initiatives.values() if i["rag"] == "green"]
    expect(page.locator("#board li.card")).to_have_count(len(greens))
    count = page.locator(f"#stage-{big_board.stages['Proposed']} .stage-count .count")
    before = int(count.inner_text())

    # Another user sets a Not set card in Proposed to Green: it comes into the view.
    joining = next(
        i
        for i in big_board.initiatives.values()
        if i["rag"] == "not_set" and i["stage_id"] == big_board.stages["Proposed"]
    )
    current = envoy_api.get(f"/initiatives/{joining['id']}")
    envoy_api.patch(
        f"/initiatives/{joining['id']}",
        {"version": current["version"], "rag": "green", "rag_reason": "On track."},
    )
    expect(page.locator(f"#initiative-{joining['id']}")).to_be_visible(timeout=LIVE_MS)
    expect(count).to_have_text(str(before + 1), timeout=LIVE_MS)

    # And sets a Green one to Red: it leaves.
    leaving = greens[0]
    current = envoy_api.get(f"/initiatives/{leaving['id']}")
    envoy_api.patch(
        f"/initiatives/{leaving['id']}",
        {"version": current["version"], "rag": "red", "rag_reason": "Stalled."},
    )
    expect(page.locator(f"#initiative-{leaving['id']}")).to_have_count(0, timeout=LIVE_MS)
    expect(page.locator("#board li.card")).to_have_count(len(greens), timeout=LIVE_MS)

    # A card outside the view moves to another stage: the "of m" of both stages follows,
    # and the view itself is unchanged.
    proposed, exploring = big_board.stages["Proposed"], big_board.stages["Exploring"]
    of_proposed = page.locator(f"#stage-{proposed} .stage-count .total")
    of_exploring = page.locator(f"#stage-{exploring} .stage-count .total")
    before_proposed, before_exploring = (
        int(of_proposed.inner_text()),
        int(of_exploring.inner_text()),
    )
    outsider = next(
        current
        for i in big_board.initiatives.values()
        if i["stage_id"] == proposed
        and (current := envoy_api.get(f"/initiatives/{i['id']}"))["rag"] == "red"
        and current["stage_id"] == proposed
    )
    envoy_api.post(
        f"/initiatives/{outsider['id']}/move",
        {"version": outsider["version"], "stage_id": exploring, "position": 0},
        expect=200,
    )
    expect(of_proposed).to_have_text(str(before_proposed - 1), timeout=LIVE_MS)
    expect(of_exploring).to_have_text(str(before_exploring + 1), timeout=LIVE_MS)
    expect(page.locator(".filter-note .of-shown")).to_have_text(str(len(greens)))
    expect(page.locator(".filter-note .of-total")).to_have_text("60")


def test_a_saved_view_comes_back_after_signing_out_and_in(page: Page, big_board: BigBoard) -> None:
    sign_in(page, "member")
    page.goto(
        f"/boards/{big_board.id}?rag=red&grand_challenge_id={big_board.lanes['Ageing Society']}"
    )
    # As the board is now (other tests here change cards).
    expected = shown_titles(page)
    assert expected
    name = f"Ageing reds {uuid.uuid4().hex[:4]}"
    page.get_by_label("Save this filter as a view named").fill(name)
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("link", name=name)).to_have_attribute("aria-current", "page")
    assert_no_axe_violation(page)  # saved views listed, the filters open
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "member")
    page.goto(f"/boards/{big_board.id}")
    expect(page.locator(".filter-note")).to_have_count(0)  # the whole board, no filter on
    page.get_by_role("link", name=name).click()
    expect(page.locator("#board li.card")).to_have_count(len(expected))
    assert shown_titles(page) == expected
    page.get_by_role("button", name=f"Delete the view “{name}”").click()
    expect(page.get_by_role("link", name=name)).to_have_count(0)


def test_compact_cards_and_a_collapsed_swimlane_by_keyboard_stay_after_a_reload(
    page: Page, big_board: BigBoard
) -> None:
    sign_in(page, "admin")  # an account no other test here lays out
    page.goto(f"/boards/{big_board.id}")
    page.evaluate("window.notReloaded = true")
    lane = page.locator("section.lane").filter(
        has=page.get_by_role("heading", name="Ageing Society")
    )
    toggle = lane.get_by_role("button", name="Collapse Ageing Society")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(lane).to_have_class(re.compile(r"\bcollapsed\b"))
    # The same button, now saying what it does next, still has the focus.
    expect(lane.get_by_role("button", name="Expand Ageing Society")).to_be_focused()
    expect(lane.locator("li.card").first).to_be_hidden()
    in_lane = sum(
        1
        for i in big_board.initiatives.values()
        if i["grand_challenge_id"] == big_board.lanes["Ageing Society"]
    )
    expect(lane.locator(".lane-count")).to_have_text(f"{in_lane} initiatives")
    density = page.get_by_role("button", name="Compact cards")
    density.focus()
    page.keyboard.press("Space")
    expect(density).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#board")).to_have_class(re.compile(r"\bcompact\b"))
    # Done in place: the page was not loaded again.
    assert page.evaluate("window.notReloaded === true")
    assert_no_axe_violation(page)  # compact cards, a collapsed swimlane
    page.reload()
    expect(page.locator("#board")).to_have_class(re.compile(r"\bcompact\b"))
    expect(lane).to_have_class(re.compile(r"\bcollapsed\b"))
    # And back, for whoever signs in as the admin next.
    lane.get_by_role("button", name="Expand Ageing Society").click()
    expect(lane.locator("li.card").first).to_be_visible()
    page.get_by_role("button", name="Compact cards").click()
    expect(page.locator("#board")).not_to_have_class(re.compile(r"\bcompact\b"))
    page.reload()
    expect(lane.locator("li.card").first).to_be_visible()


def test_stage_headings_stay_in_view_while_the_board_scrolls(
    page: Page, big_board: BigBoard
) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, "viewer")
    page.goto(f"/boards/{big_board.id}")
    board = page.locator("#board")
    head = page.locator(f"#stage-{big_board.stages['Proposed']}")
    expect(head).to_be_visible()
    # The 60 cards are taller than the window: the board scrolls inside its region.
    assert board.evaluate("b => b.scrollHeight > b.clientHeight + 200")
    board.evaluate("b => { b.scrollTop = b.scrollHeight; }")
    page.wait_for_function("document.getElementById('board').scrollTop > 200")
    board_top = board.bounding_box()["y"]
    head_box = head.bounding_box()
    assert head_box is not None and abs(head_box["y"] - board_top) < 2, (head_box, board_top)
    # A card reached from far below scrolls into view under the headings, not behind them.
    link = page.locator("section.lane").first.locator("li.card .card-title a").first
    link.focus()
    head_bottom = head.bounding_box()["y"] + head.bounding_box()["height"]
    link_box = link.bounding_box()
    assert link_box is not None and link_box["y"] >= head_bottom - 1, (link_box, head_bottom)
