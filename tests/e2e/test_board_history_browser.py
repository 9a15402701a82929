"""The board's memory in a browser: "since you last looked" and the board as of a date, both
axe-clean and keyboard-operable."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO, ServedApp, sign_in

pytestmark = pytest.mark.e2e


def blocking(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [
        v["id"] for v in violations if v["impact"] in {"minor", "moderate", "serious", "critical"}
    ]


def looked_earlier(served_app: ServedApp, who: str, board_id: int, hours_ago: float = 2) -> None:
    """As if `who` last looked at the board `hours_ago` hours ago, when it stood at its current
    last event: their next visit lists what others change from now on."""
    path = served_app.env["TRACKER_DATABASE_URL"].removeprefix("sqlite:///")
    at = (datetime.now(UTC) - timedelta(hours=hours_ago)).replace(tzinfo=None)
    with closing(sqlite3.connect(path, timeout=15)) as db:
        (user_id,) = db.execute("SELECT id FROM users WHERE email = ?", (DEMO[who][0],)).fetchone()
        (last_seq,) = db.execute("SELECT last_seq FROM boards WHERE id = ?", (board_id,)).fetchone()
        db.execute(
            "INSERT INTO board_visits (user_id, board_id, baseline_seq, last_seen_seq, "
            "last_seen_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, board_id) DO UPDATE SET "
            "baseline_seq = excluded.baseline_seq, last_seen_seq = excluded.last_seen_seq, "
            "last_seen_at = excluded.last_seen_at",
            (user_id, board_id, last_seq, last_seq, at.isoformat(sep=" ")),
        )
        db.commit()


def test_since_you_last_looked_and_the_as_of_board_are_accessible(
    page, propose, served_app, demo_board
):
    looked_earlier(served_app, "viewer", demo_board.id)
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
    # Today in London: the as-of board counts days in London time, whatever the machine's zone.
    today = datetime.now(ZoneInfo("Europe/London")).date()
    page.locator("#as-of-date").fill(today.isoformat())
    page.locator("#as-of-date").press("Enter")
    page.wait_for_url("**as_of=*")
    expect(page.get_by_text("Read-only: the board as it stood at the end of")).to_be_visible()
    expect(page.get_by_role("link", name=card["title"])).to_be_visible()
    expect(page.get_by_text("Move to stage")).to_have_count(0)
    assert blocking(page) == []
