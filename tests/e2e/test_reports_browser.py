"""The reports page and the standalone HTML report in a real browser: axe-core finds no
violation of any severity, nothing logs an error (a Content-Security-Policy refusal would),
a download from the page shows its progress and saves the file, and everything is reachable
and operable from the keyboard."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO, BrowserErrors, DemoBoard, assert_no_axe_violation

pytestmark = pytest.mark.e2e

# Every severity axe-core rates: WCAG 2.2 AA is the bar, and a "minor" finding still fails
# someone.
BLOCKING = {"minor", "moderate", "serious", "critical"}


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def blocking_violations(axe: Axe, page: Page) -> list[str]:
    violations = axe.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:5])
        for v in violations
        if v["impact"] in BLOCKING
    ]


def open_reports(page: Page, demo_board: DemoBoard, who: str = "viewer") -> None:
    """Go to the reports page as an anonymous visitor, sign in, and come back to it.

    (Not through the board page: leaving it at once, before its socket has joined, makes the
    server log a KeyError from the Socket.IO `join` handler, which is not this page's doing.)
    """
    email, password = DEMO[who]
    page.goto(f"/boards/{demo_board.id}/reports")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/boards/{demo_board.id}/reports$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekly status report")


def this_week(page: Page) -> str:
    value = page.get_by_label("ISO week").input_value()
    assert re.fullmatch(r"\d{4}-W\d{2}", value), value
    return value


def test_reports_page_shows_this_weeks_report_without_accessibility_violations(
    page: Page, axe: Axe, demo_board: DemoBoard
) -> None:
    open_reports(page, demo_board)
    week = this_week(page)
    report = page.locator("article.report")
    expect(report.get_by_role("heading", level=2).first).to_contain_text(
        f"Week {int(week[-2:])}, {week[:4]}"
    )
    # The demo board's initiatives are in the report, and both charts are named images.
    expect(report.get_by_role("row", name=re.compile("Video companionship")).first).to_be_visible()
    expect(
        page.get_by_role("img", name=re.compile(r"^Figure 1\. Live initiatives"))
    ).to_be_visible()
    expect(
        page.get_by_role("img", name=re.compile(r"^Figure 2\. Mean and longest"))
    ).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("^Data for figure 1"))).to_be_attached()
    expect(page.get_by_role("button", name="Print or save as PDF")).to_be_visible()
    assert blocking_violations(axe, page) == [], page.url
    page.screenshot(path="/tmp/report-e2e.png", full_page=True)


def test_standalone_html_report_passes_axe_with_its_own_stylesheet(
    page: Page, axe: Axe, demo_board: DemoBoard
) -> None:
    open_reports(page, demo_board)
    week = this_week(page)
    response = page.request.get(
        f"/api/v1/boards/{demo_board.id}/reports/weekly?week={week}&format=html"
    )
    assert response.ok
    assert "attachment" in response.headers["content-disposition"]
    html = response.text()
    # Opened as a file would be: no server, no app policy, only the document's own.
    page.goto("about:blank")
    page.set_content(html)
    expect(page).to_have_title(re.compile(rf"^Weekly status report {week} — "))
    # The embedded stylesheet applied (its hash is in the document's policy; a refusal
    # would be a console error and fail the test).
    table = page.locator("table.report-table").first
    assert table.evaluate("t => getComputedStyle(t).borderCollapse") == "collapse"
    expect(page.get_by_role("img", name=re.compile(r"^Figure 1\."))).to_be_visible()
    assert blocking_violations(axe, page) == []


def test_invalid_week_is_explained_on_the_page(
    page: Page, axe: Axe, demo_board: DemoBoard, browser_errors: BrowserErrors
) -> None:
    browser_errors.expect(r"status of 422 \(UNPROCESSABLE")
    open_reports(page, demo_board, "member")
    response = page.goto(f"/boards/{demo_board.id}/reports?week=2026-W60")
    assert response is not None and response.status == 422
    expect(page.get_by_role("alert")).to_contain_text("There is no report for that week")
    expect(page.get_by_role("alert")).to_contain_text("2026-W60 does not exist")
    field = page.get_by_label("ISO week")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("2026-W60 does not exist"))
    assert blocking_violations(axe, page) == []
    # The link in the summary takes the keyboard to the field.
    page.get_by_role("alert").get_by_role("link").click()
    expect(field).to_be_focused()


def test_picking_a_week_shows_its_report(page: Page, demo_board: DemoBoard) -> None:
    open_reports(page, demo_board, "member")
    page.get_by_label("ISO week").fill("2026-W40")
    page.get_by_role("button", name="Show report").click()
    page.wait_for_url(re.compile(r"week=2026-W40"))
    expect(page.get_by_role("heading", name=re.compile(r"^Week 40, 2026"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Excel workbook"))).to_have_attribute(
        "href", re.compile(r"week=2026-W40&format=xlsx$")
    )


def test_downloading_xlsx_shows_progress_then_saves_the_file(
    page: Page, demo_board: DemoBoard, tmp_path: Path
) -> None:
    open_reports(page, demo_board, "viewer")
    week = this_week(page)
    # Hold the server's answer back, to see the page while the file is being generated.
    held: list[Any] = []
    page.route(re.compile(r"/reports/weekly\?.*format=xlsx"), lambda route: held.append(route))
    status = page.locator("#download-status")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel workbook (XLSX)").click()
        expect(page.locator("#download-status")).to_have_text(
            f"Generating the Excel workbook (XLSX) for {week}…"
        )
        expect(page.locator("#download-list")).to_have_attribute("aria-busy", "true")
        expect(page.locator("#download-progress")).to_be_visible()
        assert len(held) == 1
        held[0].continue_()
    download = download_info.value
    assert download.suggested_filename == f"weekly-status-board{demo_board.id}-{week}.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    workbook = openpyxl.load_workbook(saved)
    assert "Changes" in workbook.sheetnames
    assert workbook.properties.keywords == f"week={week}; board_id={demo_board.id}"
    expect(status).to_have_text(re.compile(rf"ready: {re.escape(saved.name)} \(\d+ KB"))
    expect(page.locator("#download-list")).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#download-progress")).to_be_hidden()


def test_reports_page_is_keyboard_operable(page: Page, demo_board: DemoBoard) -> None:
    open_reports(page, demo_board, "envoy")
    week = this_week(page)
    # Tab from the top of the page: the week, its button, the neighbouring weeks, printing,
    # then each download, in reading order.
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    seen: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        name = page.evaluate(
            "() => { const e = document.activeElement;"
            " return (e.getAttribute('aria-label') || e.labels?.[0]?.textContent"
            " || e.textContent || '').trim().replace(/\\s+/g, ' '); }"
        )
        seen.append(name)
        if name == "Excel workbook (XLSX)":
            break
    order = ["ISO week", "Show report", "Previous week", "Print or save as PDF"]
    positions = [next(i for i, n in enumerate(seen) if n.startswith(o)) for o in order]
    assert positions == sorted(positions), seen
    assert seen[-1] == "Excel workbook (XLSX)", seen
    # The focused link is visibly marked.
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    assert download_info.value.suggested_filename.endswith(f"{week}.xlsx")
    expect(page.locator("#download-status")).to_contain_text("ready")
    # Going back a week from the keyboard.
    page.get_by_role("link", name=re.compile("^Previous week")).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"week=\d{4}-W\d{2}"))
    assert this_week(page) != week


def test_printing_leaves_only_the_report(page: Page, demo_board: DemoBoard) -> None:
    open_reports(page, demo_board)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".reports-controls")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Report sections")).to_be_hidden()
    expect(page.locator("article.report")).to_be_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 2


def test_download_refused_with_429_waits_as_told_and_asks_again(
    page: Page, demo_board: DemoBoard, browser_errors: BrowserErrors
) -> None:
    browser_errors.expect(r"status of 429 \(TOO MANY REQUESTS\)|status of 429")
    open_reports(page, demo_board, "viewer")
    week = this_week(page)
    answered: list[str] = []

    def first_refused(route: Any) -> None:
        if not answered:
            answered.append("429")
            route.fulfill(
                status=429,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body='{"error": {"code": "too_many_requests", "message": "busy", "fields": {}}}',
            )
        else:
            answered.append("passed on")
            route.continue_()

    page.route(re.compile(r"/reports/weekly\?.*format=csv"), first_refused)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
        expect(page.locator("#download-status")).to_have_text(
            f"Your other reports are still being generated; the CSV for {week} is next "
            "(asking again in 1 s)…"
        )
    assert download_info.value.suggested_filename.endswith(f"{week}.csv")
    expect(page.locator("#download-status")).to_contain_text("CSV ready")
    assert answered == ["429", "passed on"]


def test_a_filtered_board_opens_its_narrowed_report_and_file(
    page: Page, demo_board: DemoBoard, tmp_path: Path
) -> None:
    """From the board, filtered to one Grand Challenge, to its report and its workbook: both
    say they are narrowed, and the report's own filter form changes the narrowing."""
    open_reports(page, demo_board, "envoy")
    lane = "Ageing Society"
    page.goto(f"/boards/{demo_board.id}?grand_challenge_id={demo_board.lanes[lane]}")
    page.get_by_role("link", name="Weekly status report of this filtered view").click()
    page.wait_for_url(re.compile(rf"/reports\?grand_challenge_id={demo_board.lanes[lane]}$"))
    note = page.locator(".report-filter")
    expect(note).to_contain_text("Narrowed by a board filter")
    expect(note.get_by_role("listitem")).to_have_text([f"Grand Challenge: {lane}"])
    expect(page).to_have_title(re.compile(r"\(filtered\)"))
    assert_no_axe_violation(page)
    week = this_week(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel workbook (XLSX)").click()
    download = download_info.value
    assert download.suggested_filename == (
        f"weekly-status-board{demo_board.id}-{week}-filtered.xlsx"
    )
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    workbook = openpyxl.load_workbook(saved)
    assert workbook.sheetnames[0] == "Filter"
    assert workbook["Filter"]["A2"].value == f"Grand Challenge: {lane}"
    # Narrow it further from the report's own form, by keyboard: the week stays.
    red = page.get_by_role("checkbox", name="Red", exact=True)
    red.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Apply filters").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"rag=red"))
    assert f"week={week}" in page.url
    expect(note.get_by_role("listitem")).to_have_text(
        [f"Grand Challenge: {lane}", "RAG status: Red"]
    )
