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
