"""An organisation's page: its initiatives and roles across the boards, its next steps due or
overdue, its initiatives with no update for 14 days; its own people see it, envoys and admins
see any organisation's."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from tests.factories import make_board, make_initiative, make_organisation, role_type
from tracker import board
from tracker.extensions import db

NOW = datetime(2026, 6, 10, 11, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def work(the_board, users, frozen) -> dict[str, Any]:
    envoy, member = users["envoy"], users["member"]
    own = member.organisation_id
    other = make_organisation("Other Council")
    second = make_board("Second board")
    db.session.commit()
    frozen.move_to(datetime(2026, 5, 1, 9, 0, tzinfo=UTC))
    quiet = make_initiative(the_board, envoy, title="Quiet one", proposing_organisation_id=own)
    frozen.move_to(NOW)
    overdue = make_initiative(
        the_board,
        envoy,
        title="Late one",
        proposing_organisation_id=own,
        next_step="Sign the agreement",
        next_step_due=date(2026, 6, 8),
    )
    held = make_initiative(
        second, envoy, title="Held elsewhere", next_step="Tender", next_step_due=date(2026, 6, 20)
    )
    board.claim(envoy, held.id, role_type(second, "Funder").id, own)
    board.claim(envoy, held.id, role_type(second, "Partner").id, own)
    db.session.commit()
    make_initiative(the_board, envoy, title="Not ours", proposing_organisation_id=other.id)
    return {
        "own": own,
        "other": other.id,
        "quiet": quiet.id,
        "overdue": overdue.id,
        "held": held.id,
    }


def section(page: str, heading: str) -> str:
    """The text from a heading to the next heading of any level."""
    match = re.search(rf"<h3>{re.escape(heading)}</h3>(.*?)(?=<h[23]|</section>)", page, re.S)
    assert match, heading
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_our_organisation_shows_its_work_on_every_board(client, auth, users, work) -> None:
    auth.login(users["member"])
    response = client.get("/organisation")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/organisations/{work['own']}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<h1>Our organisation: " in page
    assert "Not ours" not in page
    boards = page.split('<section class="org-board"')[1:]
    assert len(boards) == 2
    first, second = boards
    assert "Quiet one" in first and "Late one" in first and "Held elsewhere" not in first
    assert section(first, "Next steps overdue or due within 14 days") == (
        "Late one : Sign the agreement — overdue , was due 08 Jun 2026"
    )
    assert section(first, "No update for 14 days") == "Quiet one (Proposed)"
    assert "Proposed it" in section(first, "Its initiatives and roles")
    assert section(second, "Next steps overdue or due within 14 days") == (
        "Held elsewhere : Tender — due 20 Jun 2026"
    )
    assert "Funder, Partner" in section(second, "Its initiatives and roles")
    assert section(second, "No update for 14 days") == "None."
    # A link to the board filtered to the organisation.
    assert f"organisation_id={work['own']}" in first


def test_only_envoys_and_admins_open_another_organisations_page(client, auth, users, work) -> None:
    path = f"/organisations/{work['other']}"
    for role, status in (("member", 403), ("viewer", 403), ("envoy", 200), ("admin", 200)):
        auth.login(users[role])
        assert client.get(path).status_code == status, role
        auth.logout()
    auth.login(users["member"])
    # Permission first: a member is not told whether another organisation exists.
    assert client.get("/organisations/999999").status_code == 403
    auth.logout()
    auth.login(users["envoy"])
    assert client.get("/organisations/999999").status_code == 404
    chosen = client.get(f"/organisation?organisation_id={work['other']}")
    assert chosen.headers["Location"].endswith(path)
    # Not a number: back to one's own.
    mine = client.get("/organisation?organisation_id=%C2%B2")
    assert mine.headers["Location"].endswith(f"/organisations/{users['envoy'].organisation_id}")


def test_signed_out_visitors_are_sent_to_sign_in(client, work) -> None:
    response = client.get(f"/organisations/{work['own']}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
