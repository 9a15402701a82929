"""Administration in a real browser against the served app: the invitation flow end to end,
axe-core on every admin and account page (no violation of any severity, and — through the
conftest — no console error, so no Content-Security-Policy violation), keyboard operation of
the board-shape controls, and a shape change reaching an open board's socket.

The served database is shared with the other browser tests: these tests invite people with
fresh addresses and change only boards they create themselves.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import socketio
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    DEMO,
    Api,
    BrowserErrors,
    DemoBoard,
    ServedApp,
    new_context,
    sign_in,
)

pytestmark = pytest.mark.e2e

# Every severity axe-core rates: WCAG 2.2 AA is the bar, and a "minor" finding still fails
# someone.
BLOCKING = {"minor", "moderate", "serious", "critical"}


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def to_admin(page: Page, section: str | None = None) -> None:
    page.get_by_role("link", name="Administration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
    if section:
        page.get_by_role("navigation", name="Administration").get_by_role(
            "link", name=section
        ).click()


def invite(page: Page, email: str, organisation: str, role: str = "Member") -> str:
    """As a signed-in admin: invite someone; the one-time link the page shows."""
    to_admin(page, "People")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Name", exact=True).fill("Sam Newcomer")
    page.get_by_label("Organisation").select_option(label=organisation)
    page.get_by_label("Account role").select_option(label=role)
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitation for Sam Newcomer")
    link = page.get_by_label("One-time link for Sam Newcomer").input_value()
    assert "/account/set-password/" in link
    return link


def create_board(page: Page) -> str:
    """As a signed-in admin: a new board with the default shape; lands on its shape page."""
    name = unique("E2E board")
    to_admin(page, "Boards")
    page.get_by_label("Board name").fill(name)
    page.get_by_role("button", name="Create board").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Shape of “{name}”")
    return name


# --- the invitation flow ------------------------------------------------------------------


def test_invited_member_sets_a_password_signs_in_and_claims_a_role(
    browser: Any,
    served_app: ServedApp,
    page: Page,
    browser_errors: BrowserErrors,
    propose: Callable[..., dict[str, Any]],
) -> None:
    initiative = propose("Exploring", "Clean Growth")
    email = f"sam.{uuid.uuid4().hex[:8]}@bregroup.example"
    password = "a long enough passphrase"

    sign_in(page, "admin")
    link = invite(page, email, "BRE Group")

    # The invitee, in a browser that has never seen the tracker.
    fresh = new_context(browser, served_app, browser_errors)
    try:
        newcomer = fresh.new_page()
        newcomer.goto(link)
        expect(newcomer.get_by_role("heading", level=1)).to_have_text("Welcome, Sam Newcomer")
        newcomer.get_by_label("New password", exact=True).fill(password)
        newcomer.get_by_label("New password again").fill(password)
        newcomer.get_by_role("button", name="Set password").click()
        newcomer.wait_for_url("**/login")
        expect(newcomer.get_by_role("status")).to_contain_text("Your password is set")

        newcomer.get_by_label("E-mail").fill(email)
        newcomer.get_by_label("Password").fill(password)
        newcomer.get_by_role("button", name="Sign in").click()
        newcomer.wait_for_url("**/boards/*")
        expect(newcomer.locator(".site-header .who")).to_contain_text("Sam Newcomer · BRE Group")

        newcomer.goto(f"/initiatives/{initiative['id']}")
        newcomer.get_by_role("button", name="Claim Partner").click()
        expect(newcomer.get_by_text("BRE Group now holds Partner.")).to_be_visible()
        partner_row = newcomer.get_by_role("row").filter(
            has=newcomer.get_by_role("rowheader", name="Partner")
        )
        expect(partner_row).to_contain_text("BRE Group")

        # The link has done its job.
        browser_errors.expect(r"status of 410 \(GONE\)")
        newcomer.goto(link)
        expect(newcomer.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    finally:
        fresh.close()


# --- accessibility and CSP on every admin and account page --------------------------------


def overview(page: Page, **_: Any) -> None:
    sign_in(page, "admin")
    to_admin(page)


def organisations(page: Page, **_: Any) -> None:
    sign_in(page, "admin")
    to_admin(page, "Organisations")


def organisations_with_an_error(page: Page, browser_errors: BrowserErrors, **_: Any) -> None:
    browser_errors.expect(r"status of 422 \(UNPROCESSABLE")
    organisations(page)
    page.get_by_label("Name of the new organisation").fill("BRE Group")
    page.get_by_role("button", name="Add organisation").click()
    expect(page.get_by_role("alert")).to_contain_text("already exists")


def people(page: Page, **_: Any) -> None:
    sign_in(page, "admin")
    to_admin(page, "People")


def invite_with_errors(page: Page, browser_errors: BrowserErrors, **_: Any) -> None:
    browser_errors.expect(r"status of 422 \(UNPROCESSABLE")
    people(page)
    page.get_by_label("E-mail").fill(DEMO["member"][0])
    page.get_by_label("Name", exact=True).fill("Someone")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_label("E-mail")).to_have_attribute("aria-invalid", "true")


def person(page: Page, **_: Any) -> None:
    people(page)
    page.get_by_role("link", name="Morgan Member").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Morgan Member")


def invitation_link(page: Page, **_: Any) -> None:
    sign_in(page, "admin")
    invite(page, f"{uuid.uuid4().hex[:8]}@example.org", "Stevenage Borough Council")


def boards(page: Page, **_: Any) -> None:
    sign_in(page, "admin")
    to_admin(page, "Boards")


def board_shape(page: Page, **_: Any) -> None:
    boards(page)
    page.get_by_role(
        "link", name=re.compile("Stages, Grand Challenges and role types")
    ).first.click()
    expect(page.get_by_role("heading", name="Stages")).to_be_visible()


def board_shape_with_errors(page: Page, browser_errors: BrowserErrors, **_: Any) -> None:
    browser_errors.expect(r"status of 422 \(UNPROCESSABLE")
    sign_in(page, "admin")
    create_board(page)
    page.get_by_label("Stage 2 WIP limit").fill("0")
    page.get_by_label("Stage 2 WIP limit").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Stage 2 WIP limit")


def tokens(page: Page, **_: Any) -> None:
    sign_in(page, "admin")
    to_admin(page, "API tokens")


def audit_log(page: Page, **_: Any) -> None:
    sign_in(page, "admin")
    to_admin(page, "Audit log")
    page.get_by_label("Action").select_option(label="Person invited")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("heading", name=re.compile(r"\d+ entr"))).to_be_visible()


def account(page: Page, **_: Any) -> None:
    sign_in(page, "member")
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")


def new_token(page: Page, **_: Any) -> None:
    account(page)
    page.get_by_label("What is it for?").fill(unique("Spreadsheet"))
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_label(re.compile("API token"))).to_have_value(re.compile("^trk_"))


def set_password(page: Page, **_: Any) -> None:
    sign_in(page, "admin")
    link = invite(page, f"{uuid.uuid4().hex[:8]}@example.org", "BRE Group")
    page.context.clear_cookies()
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Sam Newcomer")


def set_password_with_errors(page: Page, browser_errors: BrowserErrors, **kwargs: Any) -> None:
    browser_errors.expect(r"status of 422 \(UNPROCESSABLE")
    set_password(page, **kwargs)
    page.get_by_label("New password", exact=True).fill("too short")
    page.get_by_label("New password again").fill("different")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("alert")).to_contain_text("at least 12 characters")


def link_no_longer_works(page: Page, browser_errors: BrowserErrors, **_: Any) -> None:
    browser_errors.expect(r"status of 410 \(GONE\)")
    page.goto("/account/set-password/not-a-real-link")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")


PAGES = [
    overview,
    organisations,
    organisations_with_an_error,
    people,
    invite_with_errors,
    person,
    invitation_link,
    boards,
    board_shape,
    board_shape_with_errors,
    tokens,
    audit_log,
    account,
    new_token,
    set_password,
    set_password_with_errors,
    link_no_longer_works,
]


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


@pytest.mark.parametrize("arrange", PAGES, ids=[p.__name__ for p in PAGES])
def test_admin_page_has_no_accessibility_violation(
    arrange: Callable[..., None], page: Page, axe: Axe, browser_errors: BrowserErrors
) -> None:
    arrange(page, browser_errors=browser_errors)
    violations = axe.run(page).response["violations"]
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:5])
        for v in violations
        if v["impact"] in BLOCKING
    ]
    assert blocking == [], f"axe-core on {page.url}:\n" + "\n".join(blocking)


def test_pages_send_a_csp_without_inline_scripts(page: Page) -> None:
    sign_in(page, "admin")
    response = page.goto("/admin/")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp


# --- keyboard operation -------------------------------------------------------------------


def test_board_shape_is_operable_by_keyboard(page: Page) -> None:
    sign_in(page, "admin")
    create_board(page)
    first_name = page.get_by_label("Stage 1 name")
    first_name.focus()
    # Across the row: WIP limit, Save (Move up is disabled, so skipped), Move down, Delete.
    page.keyboard.press("Tab")
    expect(page.get_by_label("Stage 1 WIP limit")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save stage Proposed")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Move down stage Proposed")).to_be_focused()

    # Rename by typing and Enter, in the row's own form.
    first_name.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("Ideas")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Saved stage “Ideas”.")
    expect(page.get_by_label("Stage 1 name")).to_have_value("Ideas")

    # Reorder with the button, by keyboard.
    page.get_by_role("button", name="Move down stage Ideas").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("to position 2")
    expect(page.get_by_label("Stage 2 name")).to_have_value("Ideas")

    # Add a stage with a WIP limit, by keyboard.
    page.get_by_label("Name of the new stage").focus()
    page.keyboard.type("Scaling up")
    page.keyboard.press("Tab")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Stage 9 name")).to_have_value("Scaling up")
    expect(page.get_by_label("Stage 9 WIP limit")).to_have_value("2")


def test_deleting_a_stage_that_holds_initiatives_is_refused_with_which(
    page: Page, envoy_api: Api
) -> None:
    sign_in(page, "admin")
    name = create_board(page)
    board_id = next(b["id"] for b in envoy_api.get("/boards") if b["name"] == name)
    shape = envoy_api.get(f"/boards/{board_id}")
    envoy_api.post(
        f"/boards/{board_id}/initiatives",
        {
            "title": "Held here",
            "stage_id": shape["stages"][0]["id"],
            "grand_challenge_id": shape["grand_challenges"][0]["id"],
        },
    )
    page.get_by_role("button", name="Delete stage Proposed").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Stage “Proposed” cannot be deleted: it holds 1 initiative: “Held here”"
    )


# --- live ---------------------------------------------------------------------------------


@pytest.fixture
def envoy_socket(
    served_app: ServedApp,
) -> Iterator[tuple[socketio.Client, list[dict[str, Any]], threading.Event]]:
    token = served_app.cli("create-token", DEMO["envoy"][0], "--name", "e2e admin").strip()
    client = socketio.Client(reconnection=False)
    received: list[dict[str, Any]] = []
    arrived = threading.Event()

    @client.on("board_event")
    def _on_event(event: dict[str, Any]) -> None:
        received.append(event)
        if event["type"] == "board_changed":
            arrived.set()

    client.connect(served_app.url, auth={"token": token.splitlines()[-1]}, wait_timeout=10)
    yield client, received, arrived
    client.disconnect()


def test_a_stage_renamed_in_the_browser_reaches_an_open_board(
    page: Page, envoy_api: Api, envoy_socket: Any
) -> None:
    client, received, arrived = envoy_socket
    sign_in(page, "admin")
    name = create_board(page)
    board_id = next(b["id"] for b in envoy_api.get("/boards") if b["name"] == name)
    ack = client.call(
        "join",
        {"board_id": board_id, "since": envoy_api.get(f"/boards/{board_id}")["last_seq"]},
        timeout=10,
    )
    assert "last_seq" in ack

    page.get_by_label("Stage 3 name").fill("Deep dive")
    page.get_by_role("button", name="Save stage Detailed discussions").click()
    expect(page.get_by_role("status")).to_contain_text("Saved stage “Deep dive”.")

    assert arrived.wait(10), received
    (event,) = [e for e in received if e["type"] == "board_changed"]
    assert event["board_id"] == board_id
    assert event["data"]["change"] == "stage_changed"
    assert event["data"]["stage"]["name"] == "Deep dive"
    assert event["data"]["from"] == {"name": "Detailed discussions"}


def test_a_long_recipient_address_wraps_and_the_board_name_is_labelled(
    page: Page, demo_board: DemoBoard
) -> None:
    """A valid address of 90 characters with no place to break widened the page to 1,606 px
    between 600 and 1,280 px; and the board's Name field lost its label to a section that
    had its id."""
    sign_in(page, "admin")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"/admin/boards/{demo_board.id}")
    name = page.locator("#board-name")
    assert name.evaluate("input => input.labels.length") == 1
    assert page.locator("[id='board-name']").count() == 1
    long = "programme.office.weekly.status.reports@hertfordshirelocalenterprisepartnership.example"
    page.get_by_label("E-mail address").fill(long)
    page.get_by_role("button", name="Add address").click()
    row = page.locator("table.admin-table tr", has_text=long)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("An address only")
    try:
        for width in (1280, 1024, 768, 600):
            page.set_viewport_size({"width": width, "height": 800})
            assert page.evaluate("document.documentElement.scrollWidth") <= width, width
            remove = row.get_by_role("button", name=re.compile("^Remove"))
            box = remove.bounding_box()
            assert box is not None and box["x"] + box["width"] <= width, width
    finally:
        row.get_by_role("button", name=re.compile("^Remove")).click()
    expect(page.locator("table.admin-table tr", has_text=long)).to_have_count(0)
