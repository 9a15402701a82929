"""`/help` in a real browser: axe-clean at every severity and no sideways scrolling at 320 CSS
px (the permission table scrolls inside its own region, which a keyboard can reach)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_no_axe_violation, assert_reflows_at_320_px, sign_in

pytestmark = pytest.mark.e2e


def test_help_is_accessible_and_reflows(page: Page) -> None:
    sign_in(page, "member")
    page.get_by_role("link", name="Help").click()
    expect(page.get_by_role("heading", name="Help", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Help")).to_have_attribute("aria-current", "page")
    assert_no_axe_violation(page)
    assert_reflows_at_320_px(page)
    table = page.get_by_role("region", name="What each account role may do")
    table.focus()
    expect(table).to_be_focused()
