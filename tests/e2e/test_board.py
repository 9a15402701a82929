"""The board page in a real browser: sign-in, drag and drop, keyboard moves, reading without
JavaScript, and a layout whose stage columns line up across the swimlanes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import (
    Api,
    BrowserErrors,
    DemoBoard,
    ServedApp,
    assert_no_axe_violation,
    new_context,
    sign_in,
)

pytestmark = pytest.mark.e2e

WORKSHOP_INITIATIVES = {
    "Video companionship": "Ageing Society",
    "Smart health monitoring": "Ageing Society",
    "Cross-agency data sharing": "AI and Data Economy",
}


def cell(page: Page, demo_board: DemoBoard, stage: str, lane: str) -> Locator:
    return page.locator(
        f'ul.cards[data-stage-id="{demo_board.stages[stage]}"]'
        f'[data-grand-challenge-id="{demo_board.lanes[lane]}"]'
    )


def card(page: Page, initiative_id: int) -> Locator:
    return page.locator(f"li.card#initiative-{initiative_id}")


def drag_with_mouse(page: Page, the_card: Locator, handle: Locator, target: Locator) -> None:
    """Press on `handle`, move in steps and release over `target`, as a hand on a mouse would.

    SortableJS starts a drag only on real pointer events, a tick after the press, and picks
    the drop place from `dragover`s; so wait for its state (the ghost class on the card, then
    the card placed in the target list) rather than for a fixed time.
    """
    # Bring the source and the target into the viewport together (mouse events outside it
    # go nowhere).
    target.evaluate("list => list.closest('.board-row').scrollIntoView({block: 'center'})")
    handle.scroll_into_view_if_needed()
    start = handle.bounding_box()
    end = target.bounding_box()
    viewport = page.viewport_size
    assert start is not None and end is not None and viewport is not None
    x0, y0 = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    # Aim low in the target cell (below any cards already there) but inside the viewport.
    x1 = end["x"] + end["width"] / 2
    y1 = min(end["y"] + end["height"] - 8, viewport["height"] - 4)
    assert 0 < y0 < viewport["height"] and end["y"] < y1, "source and target not both in view"
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 5, y0 + 5)
    expect(the_card).to_have_class(re.compile(r"\bsortable-ghost\b"))  # the drag has begun
    steps = 10
    for i in range(1, steps + 1):
        page.mouse.move(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
    placed = target.locator(f"#{the_card.get_attribute('id')}")
    for wiggle in range(50):
        if placed.count():
            break
        page.mouse.move(x1, y1 - wiggle % 3)
    expect(placed).to_have_count(1)
    page.mouse.up()


def test_envoy_signs_in_and_sees_the_workshop_initiatives(
    page: Page, envoy_api: Api, demo_board: DemoBoard
) -> None:
    page.goto("/")
    # Anonymous visitors are sent to the sign-in page.
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    sign_in(page, "envoy")

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Hertfordshire Local Industrial Strategy"
    )
    expect(page.locator(".site-header .who")).to_contain_text("Chris Envoy · Hertfordshire LEP")
    # Read where each workshop initiative is now (other tests never move them, but the
    # page must agree with the API whatever the state), then find it in that cell.
    live = {i["title"]: i for i in envoy_api.get(f"/boards/{demo_board.id}")["initiatives"]}
    for title, lane in WORKSHOP_INITIATIVES.items():
        initiative = live[title]
        assert demo_board.lanes[lane] == initiative["grand_challenge_id"]
        where = page.locator(
            f'ul.cards[data-stage-id="{initiative["stage_id"]}"]'
            f'[data-grand-challenge-id="{initiative["grand_challenge_id"]}"]'
        )
        expect(where.locator(f"#initiative-{initiative['id']} .card-title")).to_have_text(title)
    # Swimlanes are the four Grand Challenges, in order.
    expect(page.locator("section.lane .lane-label h2")).to_have_text(list(demo_board.lanes))


def test_sign_in_with_a_wrong_password_stays_on_the_form(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill("envoy@demo.herts-lep.example")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status")).to_contain_text(
        "That e-mail and password do not match an active account."
    )
    expect(page).to_have_url(re.compile(r"/login$"))


def test_drag_a_card_to_another_stage_with_the_mouse(
    page: Page, propose: Any, envoy_api: Api, demo_board: DemoBoard
) -> None:
    mine = propose("Proposed", "Clean Growth")
    sign_in(page, "envoy")
    source = card(page, mine["id"])
    target = cell(page, demo_board, "Exploring", "Clean Growth")
    expect(source).to_be_visible()
    exploring_count = page.locator(f"#stage-{demo_board.stages['Exploring']} .count")
    count_before = int(exploring_count.inner_text())

    with page.expect_response(
        lambda r: (
            r.url.endswith(f"/api/v1/initiatives/{mine['id']}/move") and r.request.method == "POST"
        )
    ) as moved:
        # Grab the card by its "days in this stage" line: links and controls do not drag.
        drag_with_mouse(page, source, source.locator(".days"), target)
    assert moved.value.status == 200, moved.value.text()
    assert moved.value.json()["stage_id"] == demo_board.stages["Exploring"]

    expect(page.locator("#board-status")).to_have_text(f"Moved “{mine['title']}” to Exploring.")
    expect(target.locator(f"#initiative-{mine['id']}")).to_be_visible()
    expect(exploring_count).to_have_text(str(count_before + 1))
    expect(source.locator(".days")).to_have_text("0 days in this stage")
    # The script's column counts (and over-limit marks) say what the server says on reload.
    heads = page.locator(".stage-head")
    live_counts = heads.evaluate_all(
        "heads => heads.map(h => [h.className, h.querySelector('.stage-count').innerText])"
    )

    page.reload()
    assert (
        heads.evaluate_all(
            "heads => heads.map(h => [h.className, h.querySelector('.stage-count').innerText])"
        )
        == live_counts
    )
    expect(target.locator(f"#initiative-{mine['id']}")).to_be_visible()
    expect(cell(page, demo_board, "Proposed", "Clean Growth").locator(".card")).not_to_contain_text(
        [mine["title"]]
    )
    stored = envoy_api.get(f"/initiatives/{mine['id']}")
    assert stored["stage_id"] == demo_board.stages["Exploring"]
    assert stored["grand_challenge_id"] == demo_board.lanes["Clean Growth"]
    assert stored["version"] == mine["version"] + 1


def test_move_a_card_with_the_keyboard_only(
    page: Page, propose: Any, envoy_api: Api, demo_board: DemoBoard
) -> None:
    mine = propose("Proposed", "Future of Mobility")
    sign_in(page, "envoy")
    the_card = card(page, mine["id"])
    summary = the_card.locator("details.move summary")
    select = the_card.get_by_label("Move to stage")

    # From the top of the page, Tab until the card's "Move…" control has focus.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    for _ in range(400):
        if summary.evaluate("element => element === document.activeElement"):
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("The card's Move… control is not reachable with the Tab key.")

    page.keyboard.press("Enter")
    expect(the_card.locator("details.move")).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    expect(select).to_be_focused()
    expect(select).to_have_value(str(demo_board.stages["Proposed"]))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # Proposed → Exploring → Detailed discussions
    expect(select).to_have_value(str(demo_board.stages["Detailed discussions"]))
    page.keyboard.press("Tab")
    lane = the_card.get_by_label("Grand Challenge")
    expect(lane).to_be_focused()
    expect(lane).to_have_value(str(demo_board.lanes["Future of Mobility"]))
    page.keyboard.press("Tab")
    expect(the_card.get_by_label("Position")).to_be_focused()
    page.keyboard.press("Tab")
    expect(the_card.get_by_role("button", name="Move")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # Back on the board, the moved card has the focus and says what happened, in view.
    moved = card(page, mine["id"])
    expect(moved).to_be_focused()
    confirmation = moved.get_by_role("status")
    expect(confirmation).to_have_text(f"Moved “{mine['title']}” to Detailed discussions.")
    expect(confirmation).to_be_in_viewport()
    # The next Tab continues from the card.
    page.keyboard.press("Tab")
    expect(moved.get_by_role("link", name=mine["title"])).to_be_focused()
    page.reload()
    target = cell(page, demo_board, "Detailed discussions", "Future of Mobility")
    expect(target.locator(f"#initiative-{mine['id']}")).to_be_visible()
    stored = envoy_api.get(f"/initiatives/{mine['id']}")
    assert stored["stage_id"] == demo_board.stages["Detailed discussions"]


def unique_part(title: str, others: list[str], length: int = 3) -> str:
    """`length` characters of `title` that no other title on the board holds."""
    for start in range(len(title) - length + 1):
        part = title[start : start + length]
        if part.strip() == part and not any(part.lower() in o.lower() for o in others):
            return part
    pytest.fail(f"every {length} characters of {title!r} are in another title")


class Keys:
    """The keyboard, counting every key pressed (a typed character is one press)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.count += 1

    def type(self, text: str) -> None:
        for character in text:
            self.press(character)


def test_find_a_named_card_and_move_it_to_another_stage_and_swimlane_in_twelve_keys(
    page: Page, propose: Any, envoy_api: Api, demo_board: DemoBoard
) -> None:
    # The last swimlane, so that the card starts below the first screen.
    mine = propose("Proposed", "Future of Mobility")
    others = [
        c["title"]
        for c in envoy_api.get(f"/boards/{demo_board.id}")["initiatives"]
        if c["id"] != mine["id"]
    ]
    query = unique_part(mine["title"], others)
    page.set_viewport_size({"width": 1280, "height": 600})
    sign_in(page, "envoy")
    keys = Keys(page)
    the_card = card(page, mine["id"])

    keys.press("/")
    expect(page.get_by_role("searchbox", name="Find an initiative")).to_be_focused()
    keys.type(query)
    with page.expect_navigation():
        keys.press("Enter")
    expect(the_card).to_be_focused()
    expect(the_card.get_by_role("status")).to_contain_text(f"Found “{mine['title']}”")
    expect(the_card).to_be_in_viewport()

    keys.press("m")  # Move… opens at the stage
    stage = the_card.get_by_label("Move to stage")
    expect(stage).to_be_focused()
    keys.press("E")  # type-ahead: Exploring
    expect(stage).to_have_value(str(demo_board.stages["Exploring"]))
    keys.press("Tab")
    keys.press("C")  # type-ahead: Clean Growth
    expect(the_card.get_by_label("Grand Challenge")).to_have_value(
        str(demo_board.lanes["Clean Growth"])
    )
    keys.press("Tab")  # Position: empty, the end of the cell
    keys.press("Tab")
    expect(the_card.get_by_role("button", name="Move")).to_be_focused()
    with page.expect_navigation():
        keys.press("Enter")

    assert keys.count <= 12, f"{keys.count} key presses"
    moved = card(page, mine["id"])
    assert moved.evaluate("element => element === document.activeElement")
    confirmation = moved.get_by_role("status")
    expect(confirmation).to_have_text(f"Moved “{mine['title']}” to Exploring in Clean Growth.")
    expect(confirmation).to_be_in_viewport()
    expect(cell(page, demo_board, "Exploring", "Clean Growth").locator(moved)).to_have_count(1)
    # The Move… form open on a card, and a card holding a confirmation: no axe-core violation.
    moved.locator("details.move summary").click()
    assert_no_axe_violation(page)
    stored = envoy_api.get(f"/initiatives/{mine['id']}")
    assert (stored["stage_id"], stored["grand_challenge_id"]) == (
        demo_board.stages["Exploring"],
        demo_board.lanes["Clean Growth"],
    )


def test_find_and_move_without_javascript_focus_the_card_and_say_so_in_view(
    browser: Any,
    served_app: ServedApp,
    browser_errors: BrowserErrors,
    propose: Any,
    envoy_api: Api,
    demo_board: DemoBoard,
) -> None:
    mine = propose("Proposed", "Future of Mobility")
    context = new_context(browser, served_app, browser_errors, java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_viewport_size({"width": 1280, "height": 600})
        sign_in(page, "envoy")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to find an initiative")).to_be_focused()
        page.keyboard.press("Enter")
        find = page.get_by_role("searchbox", name="Find an initiative")
        find.focus()  # where the skip link leads; a browser without scripts may not focus it
        page.keyboard.type(mine["title"])
        with page.expect_navigation():
            page.keyboard.press("Enter")
        the_card = card(page, mine["id"])
        expect(the_card).to_be_focused()
        expect(the_card).to_be_in_viewport()

        page.keyboard.press("Tab")  # the title link
        page.keyboard.press("Tab")
        expect(the_card.locator("details.move summary")).to_be_focused()
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        page.keyboard.press("ArrowDown")  # Proposed → Exploring
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        page.keyboard.type("1")  # the top of the cell
        with page.expect_navigation():
            page.keyboard.press("Enter")  # submits the form from its field

        moved = card(page, mine["id"])
        expect(moved).to_be_focused()
        confirmation = moved.get_by_role("status")
        expect(confirmation).to_have_text(f"Moved “{mine['title']}” to Exploring, position 1.")
        expect(confirmation).to_be_in_viewport()
        first = cell(page, demo_board, "Exploring", "Future of Mobility").locator("li.card").first
        expect(first).to_have_id(f"initiative-{mine['id']}")
    finally:
        context.close()


def test_board_reads_without_javascript(
    browser: Any, served_app: ServedApp, browser_errors: BrowserErrors, demo_board: DemoBoard
) -> None:
    context = new_context(browser, served_app, browser_errors, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, "viewer")
        for title in WORKSHOP_INITIATIVES:
            expect(page.get_by_role("link", name=title, exact=True)).to_be_visible()
        expect(page.locator(".stage-head h2")).to_have_text(list(demo_board.stages))
        # A viewer may read but not move: no Move… controls and nothing draggable.
        expect(page.locator("details.move")).to_have_count(0)
        expect(page.locator('li.card[data-draggable="true"]')).to_have_count(0)
        page.get_by_role("link", name="Cross-agency data sharing", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Cross-agency data sharing")
        expect(page.locator("#comments")).to_contain_text("shared data platform")
    finally:
        context.close()


def test_board_stage_columns_line_up_in_every_swimlane(page: Page, demo_board: DemoBoard) -> None:
    sign_in(page, "envoy")
    # Every cell sits exactly under its stage's heading, and no card spills out of its cell.
    misaligned = page.evaluate(
        """() => {
          const problems = [];
          const heads = [...document.querySelectorAll('.stage-head')]
            .map(h => h.getBoundingClientRect());
          for (const lane of document.querySelectorAll('section.lane')) {
            const cells = [...lane.querySelectorAll('.cell')];
            if (cells.length !== heads.length) problems.push(`${lane.id}: ${cells.length} cells`);
            cells.forEach((cell, i) => {
              const box = cell.getBoundingClientRect();
              const head = heads[i];
              if (Math.abs(box.left - head.left) > 1 || Math.abs(box.width - head.width) > 1)
                problems.push(`lane ${lane.getAttribute('aria-labelledby')} column ${i}`);
              for (const card of cell.querySelectorAll('li.card')) {
                const c = card.getBoundingClientRect();
                if (c.left < box.left - 1 || c.right > box.right + 1)
                  problems.push(`${card.id} spills out of its cell`);
              }
            });
          }
          return problems;
        }"""
    )
    assert misaligned == []
    # At 1440 × 900 every stage is in view without scrolling sideways.
    board_box = page.locator("#board").bounding_box()
    assert board_box is not None
    last_head = page.locator(".stage-head").last.bounding_box()
    assert last_head is not None
    assert last_head["x"] + last_head["width"] <= board_box["x"] + board_box["width"] + 1


def test_move_form_after_a_drag_uses_the_new_version(
    page: Page, propose: Any, envoy_api: Api, demo_board: DemoBoard
) -> None:
    """Drag, then (without reloading) use the same card's Move… form: the form must carry
    the version the drag produced, or the server refuses it as someone else's change."""
    mine = propose("Proposed", "Clean Growth")
    sign_in(page, "envoy")
    the_card = card(page, mine["id"])
    target = cell(page, demo_board, "Exploring", "Clean Growth")
    with page.expect_response(lambda r: r.url.endswith(f"/initiatives/{mine['id']}/move")):
        drag_with_mouse(page, the_card, the_card.locator(".days"), target)
    expect(page.locator("#board-status")).to_have_text(f"Moved “{mine['title']}” to Exploring.")

    moved = target.locator(f"#initiative-{mine['id']}")
    moved.locator("summary").click()
    select = moved.get_by_label("Move to stage")
    expect(select).to_have_value(str(demo_board.stages["Exploring"]))
    select.select_option(label="Pilot")
    moved.get_by_role("button", name="Move").click()

    expect(card(page, mine["id"]).get_by_role("status")).to_have_text(
        f"Moved “{mine['title']}” to Pilot."
    )
    stored = envoy_api.get(f"/initiatives/{mine['id']}")
    assert stored["stage_id"] == demo_board.stages["Pilot"]
    assert stored["version"] == mine["version"] + 2


def test_dragging_past_a_wip_limit_marks_the_column_at_once(
    page: Page, propose: Any, envoy_api: Api, demo_board: DemoBoard
) -> None:
    stage = "Business case"
    limit = 3  # the demo board's limit for Business case
    live = envoy_api.get(f"/boards/{demo_board.id}")["initiatives"]
    in_stage = sum(1 for i in live if i["stage_id"] == demo_board.stages[stage])
    for _ in range(limit - in_stage):  # fill the column up to its limit (state read first)
        propose(stage, "Ageing Society")
    mine = propose("Delivery", "Future of Mobility")
    sign_in(page, "envoy")
    head = page.locator(f"#stage-{demo_board.stages[stage]}")
    count_before = int(head.locator(".count").inner_text())
    if count_before <= limit:
        expect(head).not_to_have_class(re.compile(r"\bover-limit\b"))
        expect(head.locator(".over-label")).to_have_count(0)

    the_card = card(page, mine["id"])
    with page.expect_response(lambda r: r.url.endswith(f"/initiatives/{mine['id']}/move")):
        drag_with_mouse(
            page,
            the_card,
            the_card.locator(".days"),
            cell(page, demo_board, stage, "Future of Mobility"),
        )

    expect(head.locator(".count")).to_have_text(str(count_before + 1))
    expect(head.locator(".noun")).to_have_text("initiatives")
    expect(head).to_have_class(re.compile(r"\bover-limit\b"))
    expect(head.locator(".over-label")).to_have_text("Over its limit")
    page.reload()
    expect(head).to_have_class(re.compile(r"\bover-limit\b"))
    expect(head.locator(".over-label")).to_have_text("Over its limit")
