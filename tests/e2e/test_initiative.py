"""The initiative page in a real browser: claiming roles."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Api, BrowserErrors, DemoBoard, ServedApp, new_context, sign_in

pytestmark = pytest.mark.e2e

POLICE = "Hertfordshire Constabulary"


def test_member_claims_an_exclusive_role(
    page: Page,
    propose: Any,
    envoy_api: Api,
    demo_board: DemoBoard,
    browser: Any,
    served_app: ServedApp,
    browser_errors: BrowserErrors,
) -> None:
    # Proposed by the LEP: the member's organisation has no part in it yet.
    mine = propose("Exploring", "AI and Data Economy", organisation="Hertfordshire LEP")
    sign_in(page, "member")
    page.goto(f"/initiatives/{mine['id']}")
    lead = page.locator(f'tr[data-role-type-id="{demo_board.roles["Evaluator"]}"]')
    partner = page.locator(f'tr[data-role-type-id="{demo_board.roles["Partner"]}"]')
    expect(lead.get_by_role("cell").first).to_have_text("—")
    # Not involved, so the member may not edit it (yet).
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)

    lead.get_by_role("button", name="Claim Evaluator").click()

    expect(page.get_by_role("status")).to_contain_text(f"{POLICE} now holds Evaluator.")
    expect(lead.locator(".holders")).to_contain_text(POLICE)
    expect(lead.locator(".holders")).to_contain_text("claimed by Morgan Member")
    expect(lead).to_contain_text("1 of 1")
    # Evaluator is exclusive (and claimed: Lead, exclusive too, is asked for): once held,
    # nobody is offered it.
    expect(lead.get_by_role("button", name="Claim Evaluator")).to_have_count(0)
    expect(lead).to_contain_text("Taken")
    # The member's own organisation's claim: they may release it.
    expect(lead.get_by_role("button", name=f"Release Evaluator for {POLICE}")).to_be_visible()
    # Other roles are still on offer, and holding a role makes the initiative theirs to edit.
    expect(partner.get_by_role("button", name="Claim Partner")).to_be_visible()
    expect(page.get_by_role("link", name="Edit", exact=True)).to_be_visible()
    expect(page.locator("#history")).to_contain_text(f"claimed Evaluator for {POLICE}")

    stored = envoy_api.get(f"/initiatives/{mine['id']}")
    assert [(c["role_type_id"], c["organisation_id"]) for c in stored["claims"]] == [
        (demo_board.roles["Evaluator"], demo_board.organisations[POLICE])
    ]

    # Someone else, who could claim for any organisation, is not offered Evaluator either.
    other = new_context(browser, served_app, browser_errors)
    try:
        envoy_page = other.new_page()
        sign_in(envoy_page, "envoy")
        envoy_page.goto(f"/initiatives/{mine['id']}")
        envoy_lead = envoy_page.locator(f'tr[data-role-type-id="{demo_board.roles["Evaluator"]}"]')
        expect(envoy_lead).to_contain_text(POLICE)
        expect(envoy_lead.get_by_role("button", name="Claim Evaluator")).to_have_count(0)
        expect(envoy_lead).to_contain_text("Taken")
    finally:
        other.close()


def test_viewer_is_offered_no_claims(page: Page, propose: Any) -> None:
    mine = propose("Proposed", "Ageing Society")
    sign_in(page, "viewer")
    page.goto(f"/initiatives/{mine['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(mine["title"])
    expect(page.get_by_role("button", name="Claim Lead")).to_have_count(0)
    expect(page.locator("table.roles button")).to_have_count(0)
