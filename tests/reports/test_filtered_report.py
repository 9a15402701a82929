"""The weekly report narrowed by the board's filters: every section covers only the
initiatives the filter keeps, judged as they stood at the report's instant, and every format
says that the report is narrowed (page, API, JSON, CSV, XLSX, HTML)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import openpyxl
import pytest
import time_machine

from tests.conftest import AuthActions
from tests.factories import challenge, make_organisation, make_token, role_type, stage
from tracker import board
from tracker.board import filters
from tracker.extensions import db
from tracker.reports import service as reports

WEEK = "2026-W48"  # Monday 23 to Sunday 29 November 2026 (GMT: London is UTC)
AGEING = "Ageing Society"
DATA = "AI and Data Economy"
MOBILITY = "Future of Mobility"


def at(text: str) -> Any:
    return time_machine.travel(datetime.fromisoformat(text).replace(tzinfo=UTC), tick=False)


# Every report below is asked for on this day, after the week and after a later edit.
AFTER = "2026-12-02T12:00:00"


@pytest.fixture
def history(the_board, users) -> dict[str, int]:
    envoy = users["envoy"]
    council = make_organisation("County Council")
    db.session.commit()
    ids = {"council": council.id}

    def propose(key: str, title: str, lane: str, **fields: Any) -> None:
        change = board.propose(
            envoy,
            the_board.id,
            {"title": title, "grand_challenge_id": challenge(the_board, lane), **fields},
        )
        db.session.commit()
        ids[key] = change.value.id

    with at("2026-11-10T09:00:00"):
        propose("robots", "Care robots", AGEING)
        propose("old", "Old ageing idea", AGEING)
        propose("trust", "Data trust", DATA)
        propose("bus", "Bus lanes", MOBILITY, rag="red", rag_reason="No route agreed")
    with at("2026-11-24T10:00:00"):
        board.move(envoy, ids["robots"], 1, stage(the_board, "Exploring"), 0)
        db.session.commit()
    with at("2026-11-24T11:00:00"):
        board.move(envoy, ids["trust"], 1, stage(the_board, "Exploring"), 0)
        db.session.commit()
    with at("2026-11-25T12:00:00"):
        board.claim(envoy, ids["trust"], role_type(the_board, "Lead").id, council.id)
        db.session.commit()
    with at("2026-11-26T15:00:00"):
        board.archive(envoy, ids["old"], 1)
        db.session.commit()
    with at("2026-12-01T09:00:00"):  # after the week: the report still knows the old title
        board.edit(envoy, ids["bus"], 1, {"title": "Cycle lanes"})
        db.session.commit()
    return ids


def narrowed(the_board, **args: Any) -> dict[str, Any]:
    query = {
        name: [str(v) for v in (value if isinstance(value, list) else [value])]
        for name, value in args.items()
    }
    rule = filters.parse(the_board, query)
    with at(AFTER):
        return dict(reports.build(the_board.id, WEEK, rule))


def changed(report: dict[str, Any]) -> list[tuple[str, int | None]]:
    return [(row["change"], row["initiative_id"]) for row in report["changes"]]


def counts(report: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {row["stage"]: (row["count"], row["previous"]) for row in report["stage_counts"]}


def test_a_grand_challenge_narrows_every_section(history, the_board):
    lane = challenge(the_board, AGEING)
    report = narrowed(the_board, grand_challenge_id=lane)
    assert report["filter"] == {
        "query": f"grand_challenge_id={lane}",
        "description": [f"Grand Challenge: {AGEING}"],
    }
    # Robots moved on; the old idea was archived during the week: both changes are kept.
    assert changed(report) == [("moved", history["robots"]), ("archived", history["old"])]
    assert counts(report)["Proposed"] == (0, 2)
    assert counts(report)["Exploring"] == (1, 0)
    assert [row["initiative_id"] for row in report["time_in_stage"]] == [history["robots"]]
    flow = report["cumulative_flow"][-1]["stages"]
    assert {s["stage"]: s["count"] for s in flow}["Exploring"] == 1
    assert sum(s["count"] for s in flow) == 1
    durations = {row["stage"]: row["initiatives"] for row in report["stage_durations"]}
    assert durations["Proposed"] == 2 and durations["Exploring"] == 1
    assert {row["rag"]: row["count"] for row in report["rag_counts"]}["red"] == 0


def test_the_whole_board_says_it_is_not_narrowed(history, the_board):
    with at(AFTER):
        report = reports.build(the_board.id, WEEK)
    assert report["filter"] == {"query": "", "description": []}
    assert len(report["changes"]) == 4  # two moves, a claim, an archive
    assert {row["rag"]: row["count"] for row in report["rag_counts"]}["red"] == 1


def test_text_is_judged_as_it_stood_at_the_end_of_the_week(history, the_board):
    by_old_title = narrowed(the_board, q="BUS")
    assert [row["initiative_id"] for row in by_old_title["time_in_stage"]] == [history["bus"]]
    assert by_old_title["filter"]["description"] == ["Text: “BUS”"]
    by_new_title = narrowed(the_board, q="cycle")
    assert by_new_title["time_in_stage"] == [] and by_new_title["changes"] == []
    assert sum(row["count"] for row in by_new_title["stage_counts"]) == 0


def test_archived_keeps_only_what_was_archived(history, the_board):
    report = narrowed(the_board, archived=1)
    assert changed(report) == [("archived", history["old"])]
    assert counts(report)["Proposed"] == (0, 1)  # live the week before, not at its end
    assert report["time_in_stage"] == []
    assert report["filter"]["description"] == ["Archived initiatives"]


def test_an_organisation_holding_a_role_and_conditions_combine(history, the_board):
    lead = role_type(the_board, "Lead").id
    report = narrowed(
        the_board, organisation_id=history["council"], role_type_id=lead, rag="not_set"
    )
    assert [row["initiative_id"] for row in report["time_in_stage"]] == [history["trust"]]
    assert changed(report) == [("moved", history["trust"]), ("role claimed", history["trust"])]
    assert report["filter"]["description"] == [
        "RAG status: Not set",
        "Organisation: County Council, holds Lead",
    ]
    assert narrowed(the_board, organisation_id=history["council"], rag="red")["changes"] == []


def test_every_file_format_says_it_is_narrowed(history, the_board):
    rule = filters.parse(the_board, {"grand_challenge_id": [str(challenge(the_board, AGEING))]})
    with at(AFTER):
        report = reports.build(the_board.id, WEEK, rule)
        from tracker.reports import render

        rows = list(csv.reader(io.StringIO(render.to_csv(report).lstrip("\ufeff"))))
        workbook = openpyxl.load_workbook(io.BytesIO(render.to_xlsx(report)))
    assert rows[0] == ["Section", "Board", "Week", "Only initiatives matching"]
    assert rows[1] == ["Filter", the_board.name, WEEK, f"Grand Challenge: {AGEING}"]
    assert rows[2] == []
    assert workbook.sheetnames[0] == "Filter"
    assert [c.value for c in workbook["Filter"]["A"]] == [
        "Only initiatives matching",
        f"Grand Challenge: {AGEING}",
    ]
    assert (
        workbook.properties.description == f"Only initiatives matching: Grand Challenge: {AGEING}"
    )
    changes = [row for row in workbook["Changes"].iter_rows(min_row=2, values_only=True)]
    assert [row[2] for row in changes] == [history["robots"], history["old"]]


def test_unfiltered_files_have_no_filter_part(history, the_board):
    with at(AFTER):
        report = reports.build(the_board.id, WEEK)
        from tracker.reports import render

        first = render.to_csv(report).lstrip("\ufeff").splitlines()[1]
        workbook = openpyxl.load_workbook(io.BytesIO(render.to_xlsx(report)))
    assert first.startswith("Stages,")
    assert "Filter" not in workbook.sheetnames


def test_the_api_narrows_the_report_and_names_a_bad_filter(client, history, the_board, users):
    headers = {"Authorization": f"Bearer {make_token(users['viewer'])}"}
    url = f"/api/v1/boards/{the_board.id}/reports/weekly?week={WEEK}"
    lane = challenge(the_board, DATA)
    with at(AFTER):
        body = client.get(f"{url}&grand_challenge_id={lane}", headers=headers).json
        whole = client.get(url, headers=headers).json
        xlsx = client.get(f"{url}&grand_challenge_id={lane}&format=xlsx", headers=headers)
        refusals = {
            name: client.get(f"{url}&{name}={value}", headers=headers)
            for name, value in [
                ("rag", "purple"),
                ("stage_id", "999999"),
                ("grand_challenge_id", "2147483648"),
                ("organisation_id", "abc"),
                ("due", "later"),
                ("wanted", "999"),
            ]
        }
    assert body["filter"]["description"] == [f"Grand Challenge: {DATA}"]
    assert [row["initiative_id"] for row in body["changes"]] == [history["trust"]] * 2
    assert whole["filter"] == {"query": "", "description": []}
    assert len(whole["changes"]) == 4
    assert xlsx.status_code == 200
    assert f"-{WEEK}-filtered.xlsx" in xlsx.headers["Content-Disposition"]
    for name, response in refusals.items():
        assert response.status_code == 422, name
        # The parameter by name ("rag", or "rag.0": its first value), as the board's API.
        fields = {field.split(".")[0] for field in response.json["error"]["fields"]}
        assert fields == {name}, (name, response.json)


def test_the_reports_page_keeps_the_filter_in_every_link(
    client, auth: AuthActions, history, the_board, users
):
    lane = challenge(the_board, AGEING)
    with at(AFTER):
        auth.login(users["viewer"])
        whole = client.get(f"/boards/{the_board.id}/reports?week={WEEK}").get_data(as_text=True)
        page = client.get(f"/boards/{the_board.id}/reports?week={WEEK}&grand_challenge_id={lane}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Narrowed by a board filter" in html and "Narrowed by a board filter" not in whole
    assert f"<li>Grand Challenge: {AGEING}</li>" in html
    # Cached apart: the whole board's report is not served for the narrowed one.
    assert "Data trust" in whole and "Data trust" not in html
    assert (
        f"/api/v1/boards/{the_board.id}/reports/weekly?week={WEEK}&amp;format=xlsx"
        f"&amp;grand_challenge_id={lane}"
    ) in html
    assert f"week=2026-W47&amp;grand_challenge_id={lane}" in html  # previous week
    assert f'value="{lane}" checked' in html  # the filter form shows it
    assert '<input type="hidden" name="week" value="2026-W48">' in html
    assert f'<input type="hidden" name="grand_challenge_id" value="{lane}">' in html  # week form
    assert "(filtered)" in html[: html.index("</title>")]


def test_a_filter_the_page_cannot_use_is_said_and_the_whole_report_shown(
    client, auth: AuthActions, history, the_board, users
):
    with at(AFTER):
        auth.login(users["viewer"])
        page = client.get(f"/boards/{the_board.id}/reports?week={WEEK}&stage_id=999999")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Filter stage_id: must be the id of one of this board&#39;s stages." in html
    assert "The report is for the whole board." in html
    assert "Narrowed by a board filter" not in html and "Data trust" in html


def test_the_command_line_narrows_the_report(runner, history, the_board, tmp_path):
    lane = challenge(the_board, AGEING)
    out = tmp_path / "r.csv"
    with at(AFTER):
        result = runner.invoke(
            args=[
                "export-weekly",
                "--board",
                str(the_board.id),
                "--week",
                WEEK,
                "--format",
                "csv",
                "--output",
                str(out),
                "--filter",
                f"grand_challenge_id={lane}&rag=not_set",
            ]
        )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [row[3] for row in rows[1:3]] == [
        f"Grand Challenge: {AGEING}",
        "RAG status: Not set",
    ]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("rag=purple", "rag"), ("stage_id=2147483648", "stage_id"), ("stale=maybe", "stale")],
)
def test_the_command_line_refuses_a_bad_filter_naming_it(
    runner, history, the_board, tmp_path, query, parameter
):
    out = tmp_path / "r.csv"
    result = runner.invoke(
        args=[
            "export-weekly",
            "--board",
            str(the_board.id),
            "--week",
            WEEK,
            "--format",
            "csv",
            "--output",
            str(out),
            "--filter",
            query,
        ]
    )
    assert result.exit_code == 2
    assert f"{parameter}: " in result.output
    assert not out.exists()
