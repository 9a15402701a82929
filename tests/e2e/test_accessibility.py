"""axe-core on every page a partner uses, in the states they meet it in: no violation of
any severity (WCAG 2 A/AA and best practice, as axe-core rates them)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Api, BrowserErrors, DemoBoard, sign_in

pytestmark = pytest.mark.e2e

# Every severity axe-core rates: WCAG 2.2 AA is the bar, and a "minor" finding still fails
# someone.
BLOCKING = {"minor", "moderate", "serious", "critical"}


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def _find(envoy_api: Api, demo_board: DemoBoard, title: str) -> int:
    initiatives = envoy_api.get(f"/boards/{demo_board.id}")["initiatives"]
    return next(i["id"] for i in initiatives if i["title"] == title)


def sign_in_page(page: Page, **_: Any) -> None:
    page.goto("/login")


def sign_in_failed(page: Page, **_: Any) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill("nobody@example.org")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status")).to_be_visible()


def board_page(page: Page, **_: Any) -> None:
    sign_in(page, "envoy")


def board_with_a_move_control_open(page: Page, **_: Any) -> None:
    sign_in(page, "envoy")
    page.locator("details.move summary").first.click()
    expect(page.locator("details.move[open] select").first).to_be_visible()


def board_as_member(page: Page, **_: Any) -> None:
    sign_in(page, "member")


def initiative_page(page: Page, envoy_api: Api, demo_board: DemoBoard, **_: Any) -> None:
    sign_in(page, "envoy")
    # The workshop's data-sharing initiative has claims, a progress note and a history.
    page.goto(f"/initiatives/{_find(envoy_api, demo_board, 'Cross-agency data sharing')}")
    expect(page.locator("#comments .comments li")).not_to_have_count(0)


def initiative_as_member(page: Page, envoy_api: Api, demo_board: DemoBoard, **_: Any) -> None:
    sign_in(page, "member")
    page.goto(f"/initiatives/{_find(envoy_api, demo_board, 'Video companionship')}")


def propose_form(page: Page, demo_board: DemoBoard, **_: Any) -> None:
    sign_in(page, "envoy")
    page.get_by_role("link", name="Propose an initiative").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Propose an initiative")


def propose_form_with_errors(
    page: Page, demo_board: DemoBoard, browser_errors: BrowserErrors, **_: Any
) -> None:
    sign_in(page, "envoy")
    page.goto(f"/boards/{demo_board.id}/initiatives/new")
    browser_errors.expect(r"status of 422 \(UNPROCESSABLE")  # the form comes back with errors
    page.get_by_label("RAG status", exact=True).select_option(
        "red"
    )  # a RAG status without a reason
    page.get_by_role("button", name="Propose").click()  # and no title
    # The failure is announced, links to the field, and the field names its error.
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_role("alert").get_by_role("link", name="Title")).to_have_attribute(
        "href", "#title"
    )
    expect(page.get_by_label("Title", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Title", exact=True)).to_have_accessible_description(
        re.compile(r"Up to 120 characters\. .+")
    )


def edit_form(page: Page, propose: Callable[..., dict[str, Any]], **_: Any) -> None:
    mine = propose("Business case", "Clean Growth")
    sign_in(page, "envoy")
    page.goto(f"/initiatives/{mine['id']}/edit")
    expect(page.get_by_label("Title")).to_have_value(mine["title"])


def edit_form_after_a_conflict(
    page: Page,
    propose: Callable[..., dict[str, Any]],
    envoy_api: Api,
    browser_errors: BrowserErrors,
    **_: Any,
) -> None:
    browser_errors.expect(r"status of 409 \(CONFLICT\)")  # the refused save
    mine = propose("Pilot", "Future of Mobility")
    sign_in(page, "envoy")
    page.goto(f"/initiatives/{mine['id']}/edit")
    # Someone else saves first …
    envoy_api.session.patch(
        f"{envoy_api.base}/initiatives/{mine['id']}",
        json={"version": mine["version"], "next_step": "Changed elsewhere"},
        timeout=10,
    ).raise_for_status()
    # … so this save is refused, and the page shows both versions.
    page.get_by_label("Next step", exact=True).fill("Changed here")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="Your changes (not saved)")).to_be_visible()


PAGES = [
    sign_in_page,
    sign_in_failed,
    board_page,
    board_with_a_move_control_open,
    board_as_member,
    initiative_page,
    initiative_as_member,
    propose_form,
    propose_form_with_errors,
    edit_form,
    edit_form_after_a_conflict,
]


@pytest.mark.parametrize("arrange", PAGES, ids=[p.__name__ for p in PAGES])
def test_page_has_no_accessibility_violation(
    arrange: Callable[..., None],
    page: Page,
    axe: Axe,
    envoy_api: Api,
    demo_board: DemoBoard,
    propose: Callable[..., dict[str, Any]],
    browser_errors: BrowserErrors,
) -> None:
    arrange(
        page,
        envoy_api=envoy_api,
        demo_board=demo_board,
        propose=propose,
        browser_errors=browser_errors,
    )
    violations = axe.run(page).response["violations"]
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:5])
        for v in violations
        if v["impact"] in BLOCKING
    ]
    assert blocking == [], f"axe-core on {page.url}:\n" + "\n".join(blocking)
