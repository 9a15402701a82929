"""Phone widths and 400 % zoom (WCAG 2.2 SC 1.4.10, Reflow): at 320 and 390 CSS px no page
scrolls sideways (the board scrolls inside its own region), and on the initiative page the
roles, with their Claim and Release buttons, are whole on screen and work.

Screenshots of every page at both widths are kept in $E2E_ARTEFACTS (default
/tmp/tracker-e2e-artefacts), for a person to look at."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DemoBoard, assert_no_axe_violation, sign_in

pytestmark = pytest.mark.e2e

ARTEFACTS = Path(os.environ.get("E2E_ARTEFACTS", "/tmp/tracker-e2e-artefacts"))
WIDTHS = [320, 390]


def _first_initiative(demo_board: DemoBoard, envoy_api: Any) -> int:
    live = envoy_api.get(f"/boards/{demo_board.id}")["initiatives"]
    return next(i["id"] for i in live if i["title"] == "Cross-agency data sharing")


# (who signs in, page name, path given the demo board and the envoy's API)
PAGES: list[tuple[str, str, Callable[[DemoBoard, Any], str]]] = [
    ("member", "board", lambda b, _: f"/boards/{b.id}"),
    ("member", "initiative", lambda b, api: f"/initiatives/{_first_initiative(b, api)}"),
    ("member", "weekly report", lambda b, _: f"/boards/{b.id}/reports"),
    # Narrowed by the board's filters: the filter form open, the report's note at its top.
    ("member", "weekly report filtered", lambda b, _: f"/boards/{b.id}/reports?rag=red&q=data"),
    ("member", "archived", lambda b, _: f"/boards/{b.id}/archived"),
    ("member", "account", lambda _b, _: "/account"),
    ("member", "our organisation", lambda _b, _: "/organisation"),
    ("member", "board filtered", lambda b, _: f"/boards/{b.id}?rag=red&q=data"),
    ("member", "help", lambda _b, _: "/help"),
    ("admin", "administration", lambda _b, _: "/admin/"),
    ("admin", "admin people", lambda _b, _: "/admin/people"),
    ("admin", "admin boards", lambda _b, _: "/admin/boards"),
    ("admin", "admin board", lambda b, _: f"/admin/boards/{b.id}"),
    ("admin", "admin organisations", lambda _b, _: "/admin/organisations"),
    ("admin", "admin tokens", lambda _b, _: "/admin/tokens"),
    ("admin", "admin audit", lambda _b, _: "/admin/audit"),
]


def page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


WIDE = """width => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > width + 0.5
               && ![...e.children].some(c => c.getBoundingClientRect().right > width + 0.5))
  .filter(e => !e.closest("#board, .table-wrap, table.admin-table, table.report-table"))
  .slice(0, 5)
  .map(e => `${e.tagName.toLowerCase()}.${e.className}`
            + ` (${Math.round(e.getBoundingClientRect().right)} px)`)
"""


def wide_parts(page: Page, width: int) -> list[str]:
    """What reaches past the right edge (outside the regions that scroll on their own)."""
    return list(page.evaluate(WIDE, width))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("who", "name", "path"), PAGES, ids=[p[1] for p in PAGES])
def test_no_page_scrolls_sideways_on_a_phone(
    page: Page,
    demo_board: DemoBoard,
    envoy_api: Any,
    who: str,
    name: str,
    path: Callable[[DemoBoard, Any], str],
    width: int,
) -> None:
    sign_in(page, who)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(path(demo_board, envoy_api))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTEFACTS / f"{name.replace(' ', '-')}-{width}px.png", full_page=True)
    assert page_width(page) <= width, (
        f"{name} is {page_width(page)} px wide at {width} px: {wide_parts(page, width)}"
    )
    if width == min(WIDTHS):
        assert_no_axe_violation(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_board_scrolls_in_its_own_region_one_stage_a_screen(
    page: Page, demo_board: DemoBoard, width: int
) -> None:
    sign_in(page, "member")
    page.set_viewport_size({"width": width, "height": 800})
    page.reload()
    region = page.locator("#board")
    # The board is wider than the screen and scrolls itself; each stage column is about one
    # screen wide, and its heading stays with it.
    assert region.evaluate("e => e.scrollWidth > e.clientWidth")
    first = page.locator(".stage-head").first.bounding_box()
    assert first is not None
    assert width * 0.6 <= first["width"] <= width, first
    assert page_width(page) <= width
    assert_no_axe_violation(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_claim_and_release_are_whole_on_screen_and_work(
    page: Page, propose: Any, member_api: Any, demo_board: DemoBoard, width: int
) -> None:
    mine = propose("Exploring", "Clean Growth", organisation="Hertfordshire Constabulary")
    sign_in(page, "member")
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"/initiatives/{mine['id']}")
    claim = page.get_by_role("button", name="Claim Partner")
    claim.scroll_into_view_if_needed()
    box = claim.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    claim.click()
    release = page.get_by_role("button", name="Release Partner")
    expect(release).to_be_visible()
    release.scroll_into_view_if_needed()
    box = release.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert page_width(page) <= width
    assert_no_axe_violation(page)
    release.click()
    expect(page.get_by_role("button", name="Claim Partner")).to_be_visible()
    held = member_api.get(f"/initiatives/{mine['id']}")["claims"]
    assert held == []


@pytest.mark.parametrize("width", [320, 1440])
def test_long_unbroken_text_wraps_instead_of_widening_a_page(
    page: Page, propose: Any, envoy_api: Any, demo_board: DemoBoard, width: int
) -> None:
    """Each text field at its longest, as one unbroken run (a pasted reference or URL): the
    initiative page, the card's dialog, "Our organisation" and the board stay their width."""
    mine = propose("Proposed", "Clean Growth")
    title = "Longtitle" + "W" * 111
    envoy_api.patch(
        f"/initiatives/{mine['id']}",
        {
            "version": mine["version"],
            "title": title,
            "summary": "S" * 2000,
            "next_step": "N" * 280,
            "next_step_due": "2026-01-05",
            "barriers": "B" * 2000,
            "rag": "red",
            "rag_reason": "R" * 500,
        },
    )
    envoy_api.post(f"/initiatives/{mine['id']}/comments", {"body": "C" * 5000})
    sign_in(page, "envoy")
    page.set_viewport_size({"width": width, "height": 800})
    for path in (f"/initiatives/{mine['id']}", "/organisation", f"/boards/{demo_board.id}"):
        page.goto(path)
        assert page_width(page) <= width, (path, page_width(page), wide_parts(page, width))
    card = page.locator(f"#initiative-{mine['id']}")
    card.locator(".card-title a").click()
    dialog = page.get_by_role("dialog", name=title)
    expect(dialog).to_contain_text("S" * 50)
    wide = dialog.evaluate(
        """d => [...d.querySelectorAll("*")].filter(e => e.getBoundingClientRect().right >
             d.getBoundingClientRect().right + 1).slice(0, 5).map(e => e.tagName + "." +
             e.className + "#" + e.id + " " + Math.round(e.getBoundingClientRect().right))"""
    )
    assert dialog.evaluate("d => d.scrollWidth <= d.clientWidth + 1"), wide
    assert page_width(page) <= width
