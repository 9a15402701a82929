"""Archive you can trust, in a real browser and by keyboard: archiving asks first; the card
leaves another viewer's open board at once; the board's archived list says who archived it
and when, and restoring it there brings the card back to that viewer live. Each new page is
axe-clean at every severity and reflows at 320 CSS px."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    BrowserErrors,
    DemoBoard,
    ServedApp,
    assert_no_axe_violation,
    assert_reflows_at_320_px,
    new_context,
    sign_in,
)
from tests.e2e.test_board import card

pytestmark = pytest.mark.e2e

# The bound for a change to reach another open board.
LIVE_MS = 1000


@pytest.fixture
def watcher(browser: Any, served_app: ServedApp, browser_errors: BrowserErrors) -> Iterator[Page]:
    """The demo member's browser, with the board open and live."""
    context = new_context(browser, served_app, browser_errors)
    page = context.new_page()
    sign_in(page, "member")
    expect(page.locator("#connection-state")).to_have_text("Live")
    yield page
    context.close()


def test_archive_asks_first_then_restore_from_the_archived_list_by_keyboard(
    page: Page,
    watcher: Page,
    demo_board: DemoBoard,
    propose: Callable[..., dict[str, Any]],
) -> None:
    mine = propose("Proposed", "Ageing Society")
    expect(card(watcher, mine["id"])).to_be_visible()
    sign_in(page, "envoy")
    page.goto(f"/initiatives/{mine['id']}")

    page.get_by_role("link", name="Archive…").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Archive “{mine['title']}”?")).to_be_visible()
    assert_no_axe_violation(page)
    assert_reflows_at_320_px(page)

    page.get_by_role("button", name="Archive this initiative").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Initiative archived.")
    expect(card(watcher, mine["id"])).to_have_count(0, timeout=LIVE_MS)

    page.goto(f"/boards/{demo_board.id}")
    page.get_by_role("link", name="Archived initiatives").focus()
    page.keyboard.press("Enter")
    entry = page.locator(f"#archived-{mine['id']}")
    expect(entry).to_contain_text("by Chris Envoy (Hertfordshire LEP)")
    assert_no_axe_violation(page)
    assert_reflows_at_320_px(page)

    page.get_by_role("button", name=f"Restore {mine['title']}").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Initiative restored.")
    expect(page.locator(f"#archived-{mine['id']}")).to_have_count(0)
    expect(card(watcher, mine["id"])).to_be_visible(timeout=LIVE_MS)
