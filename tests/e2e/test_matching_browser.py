"""Issue 15 in a real browser: a member of one organisation asks for Lead by keyboard; a
member of the initiative's lead organisation, with its page open, sees the request arrive live
and approves it by keyboard; the first member's board shows the claim within a second;
axe-core finds nothing on the pages and states involved."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    BrowserErrors,
    DemoBoard,
    ServedApp,
    assert_no_axe_violation,
    new_context,
    sign_in,
)

pytestmark = pytest.mark.e2e

POLICE = "Hertfordshire Constabulary"
UNIVERSITY = "University of Hertfordshire"
PASSWORD = "a-long-test-password-2026"


def sign_in_as(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/boards/*")


def test_a_request_for_lead_is_approved_live_by_the_lead_organisation_by_keyboard(
    browser: Any,
    served_app: ServedApp,
    browser_errors: BrowserErrors,
    propose: Any,
    demo_board: DemoBoard,
) -> None:
    # Proposed by the Constabulary and nobody holds Lead: the Constabulary leads it.
    theirs = propose("Exploring", "Clean Growth", organisation=POLICE)
    email = f"uma-{uuid.uuid4().hex[:6]}@demo.herts.ac.example"
    served_app.cli("create-user", email, "--org", UNIVERSITY, "--role", "member",
                   "--name", "Uma University", "--password", PASSWORD)  # fmt: skip
    asking_context = new_context(browser, served_app, browser_errors)
    deciding_context = new_context(browser, served_app, browser_errors)
    try:
        board = asking_context.new_page()
        sign_in_as(board, email)
        board.goto(f"/boards/{demo_board.id}")
        expect(board.locator("#connection-state")).to_have_text("Live")
        asking = asking_context.new_page()
        asking.goto(f"/initiatives/{theirs['id']}")

        deciding = deciding_context.new_page()
        sign_in(deciding, "member")
        deciding.goto(f"/initiatives/{theirs['id']}")
        expect(deciding.locator("#connection-state")).to_have_text("Live")
        expect(deciding.locator("#matching")).to_contain_text("No open requests.")

        # Ask for Lead, by keyboard: the summary opens the form, the message, then send.
        ask = asking.get_by_text("Ask for Lead…")
        ask.focus()
        asking.keyboard.press("Enter")
        message = asking.get_by_label(f"Why {UNIVERSITY} should take Lead")
        expect(message).to_be_visible()
        assert_no_axe_violation(asking)
        message.focus()
        asking.keyboard.type("Our lab can run the pilot.")
        asking.keyboard.press("Tab")
        expect(asking.get_by_role("button", name="Ask for Lead")).to_be_focused()
        asking.keyboard.press("Enter")
        expect(asking.get_by_role("status").first).to_contain_text(f"{UNIVERSITY} asked for Lead")
        expect(asking.locator("#matching")).to_contain_text("Our lab can run the pilot.")
        assert_no_axe_violation(asking)

        # The lead organisation's member sees it arrive, without a reload, and approves.
        approve = deciding.get_by_role("button", name=f"Approve {UNIVERSITY} for Lead")
        expect(approve).to_be_visible(timeout=3000)
        expect(deciding.locator("#matching")).to_contain_text("Our lab can run the pilot.")
        assert_no_axe_violation(deciding)
        approve.focus()
        sent = time.monotonic()
        deciding.keyboard.press("Enter")
        expect(deciding.get_by_role("status").first).to_contain_text(
            f"Approved: {UNIVERSITY} now holds Lead."
        )

        # The asking member's board shows the claim on the card's Lead line within a second.
        lead_line = board.locator(f"li.card#initiative-{theirs['id']} .lead")
        expect(lead_line).to_contain_text(UNIVERSITY, timeout=3000)
        arrived = time.monotonic() - sent
        assert arrived < 1.0, f"the claim reached the board after {arrived:.2f} s"
        expect(deciding.locator("#matching")).to_contain_text("No open requests.")
        assert_no_axe_violation(board)
        assert_no_axe_violation(deciding)
    finally:
        asking_context.close()
        deciding_context.close()


def test_a_decision_refused_in_the_dialog_says_why_and_keeps_the_reason_typed(
    page: Page,
    served_app: ServedApp,
    browser_errors: BrowserErrors,
    envoy_api: Any,
    propose: Any,
    demo_board: DemoBoard,
) -> None:
    """The Constabulary leads its card until an envoy gives Lead to someone else; its member,
    deciding in the card's dialog meanwhile, is told why the decline is refused, there."""
    theirs = propose("Exploring", "Clean Growth", organisation=POLICE)
    university = demo_board.organisations[UNIVERSITY]
    envoy_api.post(
        f"/initiatives/{theirs['id']}/requests",
        {"role_type_id": demo_board.roles["Funder"], "organisation_id": university,
         "message": "We can fund the pilot."},
    )  # fmt: skip
    sign_in(page, "member")
    page.goto(f"/boards/{demo_board.id}")
    page.locator(f"li.card#initiative-{theirs['id']} .card-title a").click()
    dialog = page.get_by_role("dialog", name=theirs["title"])
    dialog.get_by_text(f"Decline {UNIVERSITY} for Funder…").click()
    reason = dialog.get_by_label(f"Reason, for {UNIVERSITY}")
    reason.fill("We have a funder already.")
    lead = demo_board.roles["Lead"]
    envoy_api.post(f"/initiatives/{theirs['id']}/claims",
                   {"role_type_id": lead, "organisation_id": university})  # fmt: skip
    browser_errors.expect(r"status of 403 \(FORBIDDEN\)")  # the refusal, said in the dialog
    dialog.get_by_role("button", name="Decline the request").click()
    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text("Not allowed: Only the initiative's lead organisation")
    expect(alert).to_be_focused()
    expect(reason).to_have_value("We have a funder already.")
    assert_no_axe_violation(page)
