"""The board's memory in a browser: "since you last looked" and the board as of a date, both
axe-clean and keyboard-operable."""

from __future__ import annotations

from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def blocking(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in {"serious", "critical"}]


def test_since_you_last_looked_and_the_as_of_board_are_accessible(page, propose):
    sign_in(page, "viewer")
    card = propose("Proposed", "Ageing Society")
    page.reload()
    since = page.locator("#since-you-last-looked")
    expect(since).to_be_visible()
    since.locator("summary").press("Enter")  # open the list from the keyboard
    assert blocking(page) == []

    expect(since).to_contain_text("since you last looked")
    expect(since).to_contain_text("proposed it in Proposed")
    # The date field, then Enter to submit (typing order in a date field depends on locale).
    page.locator("#as-of-date").fill(date.today().isoformat())
    page.locator("#as-of-date").press("Enter")
    page.wait_for_url("**as_of=*")
    expect(page.get_by_text("Read-only: the board as it stood at the end of")).to_be_visible()
    expect(page.get_by_role("link", name=card["title"])).to_be_visible()
    expect(page.get_by_text("Move to stage")).to_have_count(0)
    assert blocking(page) == []
