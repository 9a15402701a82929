"""A card's details without leaving the board (issue 13, part 6), in a real browser: the
card's title opens its details in a dialog (by keyboard too); claim, a progress note and a
move are made there, the board behind follows, another user's change shows in the open
dialog, and Escape closes it with the focus back on the card. Without the script the title
is a plain link to the initiative's page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

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

POLICE = "Hertfordshire Constabulary"


def test_a_card_opens_its_details_over_the_board_where_claim_note_and_move_work(
    page: Page, propose: Any, demo_board: DemoBoard, envoy_api: Api
) -> None:
    mine = propose("Proposed", "Clean Growth", organisation=POLICE)
    sign_in(page, "member")
    page.goto(f"/boards/{demo_board.id}")
    expect(page.locator("#connection-state")).to_have_text("Live")
    page.evaluate("window.sameDocument = true")
    card = page.locator(f"#initiative-{mine['id']}")
    link = card.locator(".card-title a")
    link.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=mine["title"])
    expect(dialog).to_be_visible()
    expect(dialog.locator("#initiative-heading")).to_be_focused()
    expect(dialog).to_contain_text("Proposed by an end-to-end test.")
    assert_no_axe_violation(page)  # the dialog open

    # Claim a role there: said in the dialog, and the card behind it shows the chip.
    dialog.get_by_role("button", name="Claim Partner").click()
    expect(dialog.locator(".flashes")).to_contain_text(f"{POLICE} now holds Partner.")
    expect(
        dialog.locator(f'tr[data-role-type-id="{demo_board.roles["Partner"]}"]')
    ).to_contain_text("claimed by")
    expect(card.locator(".chips")).to_contain_text("Partner")

    # A progress note.
    dialog.get_by_label("Add a progress note").fill("Agreed in the dialog")
    dialog.get_by_role("button", name="Add note").click()
    expect(dialog.locator(".flashes")).to_contain_text("Note added.")
    expect(dialog.locator("ol.comments")).to_contain_text("Agreed in the dialog")

    # A move: the card changes column on the board behind.
    dialog.get_by_label("Move to stage").select_option(label="Exploring")
    dialog.get_by_role("button", name="Move", exact=True).click()
    expect(dialog.locator(".flashes")).to_contain_text(f"Moved “{mine['title']}” to Exploring.")
    expect(
        page.locator(f'ul.cards[data-stage-id="{demo_board.stages["Exploring"]}"]').locator(
            f"#initiative-{mine['id']}"
        )
    ).to_have_count(1)

    # Someone else's change shows in the open dialog.
    current = next(
        i for i in envoy_api.get(f"/boards/{demo_board.id}")["initiatives"] if i["id"] == mine["id"]
    )
    envoy_api.patch(
        f"/initiatives/{mine['id']}",
        {"version": current["version"], "next_step": "Sign the data agreement"},
    )
    expect(dialog).to_contain_text("Sign the data agreement")

    # At 320 CSS px (400 % zoom) the dialog fits: nothing scrolls sideways.
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert dialog.evaluate("d => d.scrollWidth <= d.clientWidth + 1")
    assert_no_axe_violation(page)
    if size:
        page.set_viewport_size(size)

    # Escape closes it, the focus back on the card's title; the board was never reloaded.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(link).to_be_focused()
    assert page.evaluate("window.sameDocument === true")


def test_without_the_script_the_title_opens_the_initiative_page(
    browser: Any,
    served_app: ServedApp,
    browser_errors: BrowserErrors,
    propose: Any,
    demo_board: DemoBoard,
) -> None:
    mine = propose("Proposed", "Clean Growth")
    context = new_context(browser, served_app, browser_errors, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, "viewer")
        page.goto(f"/boards/{demo_board.id}")
        page.locator(f"#initiative-{mine['id']} .card-title a").click()
        page.wait_for_url(f"**/initiatives/{mine['id']}")
        expect(page.get_by_role("heading", level=1)).to_have_text(mine["title"])
    finally:
        context.close()
