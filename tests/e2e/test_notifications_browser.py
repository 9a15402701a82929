"""Notifications in a real browser: a mention written with the note's mention picker (by
keyboard) reaches the person's open notifications page within a second, with the header's
unread count; marking it read works from the keyboard; axe-core finds nothing on the pages
and states involved."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    BrowserErrors,
    DemoBoard,
    ServedApp,
    assert_no_axe_violation,
    new_context,
    sign_in,
)

pytestmark = pytest.mark.e2e

MEMBER = "Morgan Member"


def test_a_mention_reaches_the_other_persons_open_list_within_a_second(
    browser: Any,
    served_app: ServedApp,
    browser_errors: BrowserErrors,
    propose: Any,
    demo_board: DemoBoard,
) -> None:
    # Proposed by the LEP, no role for the Constabulary: the member hears of it only when named.
    mine = propose("Exploring", "Clean Growth")
    reader_context = new_context(browser, served_app, browser_errors)
    writer_context = new_context(browser, served_app, browser_errors)
    try:
        reader = reader_context.new_page()
        sign_in(reader, "member")
        reader.goto("/notifications")
        count = reader.locator("#notification-count")
        before = int(count.get_attribute("data-unread") or 0)
        reader.wait_for_timeout(300)  # its socket is up (joined to its own room at connect)

        writer = writer_context.new_page()
        sign_in(writer, "envoy")
        writer.goto(f"/initiatives/{mine['id']}")
        note = writer.get_by_label("Add a progress note")
        note.fill("Can the Constabulary share the data?")
        picker = writer.get_by_role("combobox", name="Mention a person or organisation")
        picker.focus()
        writer.keyboard.type("morg")
        option = writer.get_by_role("option", name=f"{MEMBER} (Hertfordshire Constabulary)")
        expect(option).to_be_visible()
        expect(picker).to_have_attribute("aria-expanded", "true")
        assert_no_axe_violation(writer)  # the picker open
        writer.keyboard.press("ArrowDown")
        expect(option).to_have_attribute("aria-selected", "true")
        writer.keyboard.press("Enter")
        expect(note).to_be_focused()
        expect(note).to_have_value(
            f"Can the Constabulary share the data? @[{MEMBER}](user:{_member_id(writer)}) "
        )
        writer.get_by_role("button", name="Add note").focus()
        sent = time.monotonic()
        writer.keyboard.press("Enter")

        entry = reader.locator(".notification.unread").first
        expect(entry).to_contain_text("Mentioned you:", timeout=5000)
        arrived = time.monotonic() - sent
        expect(entry).to_contain_text(mine["title"])
        expect(count).to_have_attribute("data-unread", str(before + 1))
        assert arrived < 1.0, f"arrived after {arrived:.2f} s"
        expect(writer.locator("#comments .mention")).to_have_text(f"@{MEMBER}")
        assert_no_axe_violation(reader)

        # Mark it read from the keyboard.
        mark = re.compile(rf"^Mark as read\W+{re.escape(mine['title'])}, added a progress note$")
        reader.get_by_role("button", name=mark).first.focus()
        reader.keyboard.press("Enter")
        expect(reader.locator("#notification-count")).to_have_attribute("data-unread", str(before))
        assert_no_axe_violation(reader)
    finally:
        reader_context.close()
        writer_context.close()


def test_watch_on_a_card_by_keyboard_then_its_changes_reach_the_header(
    page: Any,
    envoy_api: Any,
    propose: Any,
    demo_board: DemoBoard,
) -> None:
    # Proposed by the LEP with no role for the Constabulary: the member does not follow it.
    theirs = propose("Exploring", "Clean Growth")
    sign_in(page, "member")
    page.goto(f"/boards/{demo_board.id}")
    the_card = page.locator(f"li.card#initiative-{theirs['id']}")
    button = the_card.locator("form.watch button")
    expect(button).to_have_accessible_name(f"Watch “{theirs['title']}”")
    expect(button).to_have_text(f"Watch “{theirs['title']}”")
    page.evaluate("window.notReloaded = true")
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_text(f"Stop watching “{theirs['title']}”")
    expect(button).to_be_focused()
    expect(page.locator("#board-status")).to_have_text(
        f"You are watching “{theirs['title']}”: its changes come to your notifications."
    )
    assert page.evaluate("window.notReloaded") is True
    assert_no_axe_violation(page)

    count = page.locator("#notification-count")
    before = int(count.get_attribute("data-unread") or 0)
    envoy_api.post(f"/initiatives/{theirs['id']}/comments", {"body": "Funding agreed."})
    expect(count).to_have_attribute("data-unread", str(before + 1))

    page.reload()
    again = page.locator(f"li.card#initiative-{theirs['id']} form.watch button")
    expect(again).to_have_text(f"Stop watching “{theirs['title']}”")
    again.focus()
    page.keyboard.press("Enter")
    expect(again).to_have_text(f"Watch “{theirs['title']}”")
    envoy_api.post(f"/initiatives/{theirs['id']}/comments", {"body": "Second thoughts."})
    page.wait_for_timeout(1000)  # what would have come by now
    expect(count).to_have_attribute("data-unread", str(before + 1))

    # Watching from the card's dialog: the card behind it agrees once it closes.
    page.locator(f"li.card#initiative-{theirs['id']} .card-title a").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=theirs["title"])
    in_dialog = dialog.get_by_role("button", name=f"Watch {theirs['title']}")
    in_dialog.focus()
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("button", name=f"Stop watching {theirs['title']}")).to_be_visible()
    page.keyboard.press("Escape")
    expect(again).to_have_text(f"Stop watching “{theirs['title']}”")


def _member_id(page: Any) -> int:
    found = page.evaluate(
        "async () => (await (await fetch('/api/v1/mentionable?q=morgan')).json())[0].id"
    )
    return int(found)


def test_the_unsubscribe_page_in_each_state(
    page: Any, served_app: ServedApp, browser_errors: BrowserErrors
) -> None:
    """Opened from a digest, signed out: what it stops, then done, then used up; each state
    passes axe-core and fits 320 CSS px."""
    from itsdangerous import URLSafeSerializer

    from tracker.mail.preferences import SALT

    page.set_viewport_size({"width": 320, "height": 700})
    member_id = _demo_member_id(served_app)
    token = URLSafeSerializer(served_app.env["TRACKER_SECRET_KEY"], salt=SALT).dumps(
        {"u": member_id, "w": "digest", "g": 0}
    )
    page.goto(f"/unsubscribe/{token}")
    button = page.get_by_role("button", name="Stop the e-mail digest")
    expect(button).to_be_visible()
    assert_no_axe_violation(page)
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("no longer receive the e-mail digest")
    assert_no_axe_violation(page)
    browser_errors.expect(r"status of 400 \(BAD REQUEST\)")  # the used link, refused
    page.goto(f"/unsubscribe/{token}")
    expect(page.get_by_role("alert")).to_contain_text("has been used already")
    assert_no_axe_violation(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def _demo_member_id(served_app: ServedApp) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(served_app.env["TRACKER_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text("SELECT id FROM users WHERE email = :email"),
                    {"email": "member@demo.herts-police.example"},
                ).scalar_one()
            )
    finally:
        engine.dispose()
