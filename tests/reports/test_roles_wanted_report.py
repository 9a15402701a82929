"""Issue 15 in the reports: the weekly report's "Roles wanted" section in every format
(asserted exactly), and the as-of board with the roles wanted and requests open as they were."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import openpyxl
import pytest
import time_machine

from tests.conftest import AuthActions
from tests.factories import make_initiative, role_type
from tracker import unit_of_work
from tracker.board import matching
from tracker.reports import render
from tracker.reports import service as reports

WEEK = "2026-W48"  # Monday 23 to Sunday 29 November 2026 (London is UTC in winter)
AFTER = "2026-12-02T12:00:00"


def at(text: str) -> Any:
    return time_machine.travel(datetime.fromisoformat(text).replace(tzinfo=UTC), tick=False)


def commit(change: Any) -> Any:
    unit_of_work.commit_change(change)
    return change


@pytest.fixture
def history(the_board, users) -> dict[str, int]:
    """Funder wanted since 1 October (more than 6 weeks by the week's end), Partner since 24
    November; a Data provider wanted and withdrawn in the week; Police asks for Lead on 25
    November and is still waiting."""
    envoy, member = users["envoy"], users["member"]
    with at("2026-09-01T09:00:00"):
        card = make_initiative(the_board, envoy, title="Video companionship")
    with at("2026-10-01T09:00:00"):
        commit(matching.want_role(envoy, card.id, role_type(the_board, "Funder").id,
                                  "£40k for a 6-month pilot"))  # fmt: skip
    with at("2026-11-24T10:00:00"):
        commit(matching.want_role(envoy, card.id, role_type(the_board, "Partner").id,
                                  "A partner with care homes"))  # fmt: skip
        commit(matching.want_role(envoy, card.id, role_type(the_board, "Data provider").id,
                                  "Anonymised call data"))  # fmt: skip
    with at("2026-11-25T12:00:00"):
        commit(matching.withdraw_wanted(envoy, card.id, role_type(the_board, "Data provider").id))
        commit(matching.request_role(member, card.id, role_type(the_board, "Lead").id,
                                     member.organisation_id, "We run the pilot"))  # fmt: skip
    return {"card": card.id}


def test_the_section_lists_each_role_wanted_longest_first(history, the_board) -> None:
    with at(AFTER):
        report = reports.build(the_board.id, WEEK)
        as_json = json.loads(render.to_json(report))
    card = history["card"]
    assert as_json["roles_wanted"] == [
        {
            "initiative_id": card,
            "initiative": "Video companionship",
            "role": "Funder",
            "brief": "£40k for a 6-month pilot",
            "since": "2026-10-01T10:00:00+01:00",  # London was on summer time
            "days_wanted": 59.62,
            "long_wanted": True,
        },
        {
            "initiative_id": card,
            "initiative": "Video companionship",
            "role": "Partner",
            "brief": "A partner with care homes",
            "since": "2026-11-24T10:00:00+00:00",
            "days_wanted": 5.58,
            "long_wanted": False,
        },
    ]


def test_every_file_format_has_the_section(app, history, the_board) -> None:
    with at(AFTER):
        report = reports.build(the_board.id, WEEK)
        rows = list(csv.reader(io.StringIO(render.to_csv(report).lstrip("\ufeff"))))
        workbook = openpyxl.load_workbook(io.BytesIO(render.to_xlsx(report)))
    card = history["card"]
    start = rows.index(
        ["Section", "Board", "Week", "Initiative id", "Initiative", "Role", "Brief",
         "Wanted since", "Days wanted", "Wanted for more than 6 weeks"]
    )  # fmt: skip
    assert rows[start + 1 : start + 4] == [
        ["Roles wanted", the_board.name, WEEK, str(card), "Video companionship", "Funder",
         "£40k for a 6-month pilot", "2026-10-01 10:00", "59.62", "Yes"],
        ["Roles wanted", the_board.name, WEEK, str(card), "Video companionship", "Partner",
         "A partner with care homes", "2026-11-24 10:00", "5.58", "No"],
        [],
    ]  # fmt: skip
    sheet = workbook["Roles wanted"]
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert values[0] == (
        "Initiative id", "Initiative", "Role", "Brief", "Wanted since", "Days wanted",
        "Wanted for more than 6 weeks",
    )  # fmt: skip
    assert values[1:] == [
        (card, "Video companionship", "Funder", "£40k for a 6-month pilot",
         datetime(2026, 10, 1, 10, 0), 59.62, "Yes"),
        (card, "Video companionship", "Partner", "A partner with care homes",
         datetime(2026, 11, 24, 10, 0), 5.58, "No"),
    ]  # fmt: skip
    with app.test_request_context():
        html_file = render.render_bytes(report, "html").decode()
    section = html_file[html_file.index('id="report-roles-wanted"') :]
    assert "(2; 1 for more than 6 weeks)" in section[: section.index("</section>")]


def test_the_report_page_shows_the_section(client, history, the_board, users) -> None:
    auth = AuthActions(client)
    with at(AFTER):
        auth.login(users["viewer"])
        page = client.get(f"/boards/{the_board.id}/reports?week={WEEK}").get_data(as_text=True)
    section = page[page.index('id="report-roles-wanted"') :]
    section = section[: section.index("</section>")]
    assert "(2; 1 for more than 6 weeks)" in section
    assert section.index("Funder") < section.index("Partner")
    assert "<strong>Yes</strong>" in section and "Data provider" not in section


def test_the_as_of_board_shows_roles_wanted_and_requests_open_as_they_were(
    client, history, the_board, users
) -> None:
    auth = AuthActions(client)
    with at(AFTER):
        auth.login(users["viewer"])

        def card_on(day: str) -> str:
            page = client.get(f"/boards/{the_board.id}?as_of={day}").get_data(as_text=True)
            start = page.index("Video companionship")
            return page[start : page.index("</li>\n", page.index("card-meta", start))]

        before = card_on("2026-11-24")  # the end of 24 November: three wanted, no request
        during = card_on("2026-11-26")  # Data provider withdrawn, Police asking
    assert "<strong>Wanted:</strong> Funder, Partner, Data provider" in before
    assert "asks for" not in before
    assert "<strong>Wanted:</strong> Funder, Partner</p>" in during
    assert "Police asks for Lead" in during
