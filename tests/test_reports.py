"""The weekly report, computed from events with controlled timestamps: every section, every
format, reproducibility, and the command line."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import openpyxl
import pytest
import time_machine

from tests.factories import make_organisation, role_type, stage
from tracker import board as ops
from tracker import reports
from tracker.extensions import db
from tracker.reports import render
from tracker.reports.weekly import Week


def at(text: str):
    """Run what follows at a fixed UTC instant."""
    return time_machine.travel(datetime.fromisoformat(text).replace(tzinfo=UTC), tick=False)


@pytest.fixture
def history(the_board, users):
    """A board whose events straddle the week 2026-W43 (19–25 October, London), the week the
    clocks go back (Sunday 25 October 02:00 BST → 01:00 GMT)."""
    envoy = users["envoy"]
    gc = the_board.grand_challenges[0].id
    council = make_organisation("Council")
    db.session.commit()
    ids = {}

    def propose(title: str, **fields):
        change = ops.propose(
            envoy, the_board.id, {"title": title, "grand_challenge_id": gc, **fields}
        )
        db.session.commit()
        return change.value.id

    with at("2026-10-01T09:00:00"):
        ids["dormant"] = propose("Dormant", next_step="Write it up", next_step_due="2026-10-20")
    with at("2026-10-10T09:00:00"):
        ids["parked"] = propose("To be archived")
    with at("2026-10-18T22:30:00"):  # Sunday 23:30 BST: the week before
        ids["video"] = propose("Video companionship", next_step_due="2026-12-01")
    with at("2026-10-18T23:30:00"):  # Monday 00:30 BST: inside the week
        ops.move(envoy, ids["video"], 1, stage(the_board, "Exploring"), 0)
        db.session.commit()
    with at("2026-10-20T10:00:00"):
        ids["health"] = propose(
            "Smart health monitoring", next_step="Pilot plan", next_step_due="2026-11-05"
        )
    with at("2026-10-21T12:00:00"):
        ops.claim(envoy, ids["video"], role_type(the_board, "Lead").id, council.id)
        partner = ops.claim(
            envoy, ids["video"], role_type(the_board, "Partner").id, users["member"].organisation_id
        )
        db.session.commit()
    with at("2026-10-22T15:45:00"):
        ops.set_rag(envoy, ids["health"], 1, "amber", "No funder yet")
        db.session.commit()
    with at("2026-10-24T08:00:00"):
        ops.release(envoy, partner.value.id)
        db.session.commit()
    with at("2026-10-25T23:30:00"):  # Sunday 23:30 GMT, after the clocks went back: inside
        ops.archive(envoy, ids["parked"], 1)
        db.session.commit()
    with at("2026-10-26T00:30:00"):  # Monday 00:30 GMT: the next week
        ops.move(envoy, ids["health"], 2, stage(the_board, "Pilot"), 0)
        db.session.commit()
    return ids


def build(the_board, week: str = "2026-W43"):
    return reports.build(the_board.id, week)


def test_week_boundaries_follow_london_time_across_the_clock_change():
    week = Week.parse("2026-W43")
    assert week.start == datetime(2026, 10, 18, 23, 0, tzinfo=UTC)  # Monday 00:00 BST
    assert week.end == datetime(2026, 10, 26, 0, 0, tzinfo=UTC)  # Monday 00:00 GMT
    assert (week.end - week.start).total_seconds() == 169 * 3600


@pytest.mark.parametrize("text", ["2026-48", "2026-W60", "2026-W00", "W48", "", None, "1899-W01"])
def test_bad_weeks_are_refused_naming_the_field(text):
    from tracker.errors import Invalid

    with pytest.raises(Invalid) as error:
        Week.parse(text)
    assert "week" in error.value.fields


def test_counts_by_stage_and_rag_at_week_end_with_change_from_week_before(history, the_board):
    report = build(the_board)
    counts = {
        row["stage"]: (row["count"], row["previous"], row["change"])
        for row in report["stage_counts"]
    }
    assert counts["Proposed"] == (2, 3, -1)  # dormant, health | dormant, parked, video
    assert counts["Exploring"] == (1, 0, 1)  # video moved in
    assert counts["Pilot"] == (0, 0, 0)  # the move to Pilot is next week's
    rags = {
        row["rag"]: (row["count"], row["previous"], row["change"]) for row in report["rag_counts"]
    }
    assert rags == {
        "red": (0, 0, 0),
        "amber": (1, 0, 1),
        "green": (0, 0, 0),
        "not_set": (2, 3, -1),
    }


def test_changes_list_every_move_claim_release_rag_new_and_archived_in_the_week(
    history, the_board, users
):
    report = build(the_board)
    rows = [
        (
            r["at"].strftime("%a %d %H:%M %Z"),
            r["change"],
            r["initiative"],
            r["from"],
            r["to"],
            r["detail"],
        )
        for r in report["changes"]
    ]
    assert rows == [
        ("Mon 19 00:30 BST", "moved", "Video companionship", "Proposed", "Exploring", ""),
        ("Tue 20 11:00 BST", "created", "Smart health monitoring", "", "Proposed", ""),
        ("Wed 21 13:00 BST", "role claimed", "Video companionship", "", "Council", "Lead"),
        ("Wed 21 13:00 BST", "role claimed", "Video companionship", "", "Police", "Partner"),
        (
            "Thu 22 16:45 BST",
            "RAG changed",
            "Smart health monitoring",
            "not_set",
            "amber",
            "No funder yet",
        ),
        ("Sat 24 09:00 BST", "role released", "Video companionship", "Police", "", "Partner"),
        ("Sun 25 23:30 GMT", "archived", "To be archived", "", "", ""),
    ]
    assert {r["actor"] for r in report["changes"]} == {users["envoy"].name}
    assert all(r["organisation"] == "The LEP" for r in report["changes"])


def test_stale_next_steps_and_time_in_stage(history, the_board):
    report = build(the_board)
    assert [(r["initiative"], r["days_without_update"]) for r in report["stale"]] == [
        ("Dormant", 24.62)
    ]
    assert [
        (r["initiative"], r["due"], r["status"], r["days_from_week_end"])
        for r in report["next_steps"]
    ] == [
        ("Dormant", date(2026, 10, 20), "overdue", -5),
        ("Smart health monitoring", date(2026, 11, 5), "due soon", 11),
    ]
    in_stage = {
        r["initiative"]: (r["stage"], r["days_in_stage"], r["lead"])
        for r in report["time_in_stage"]
    }
    assert in_stage == {
        "Dormant": ("Proposed", 24.62, ""),
        "Smart health monitoring": ("Proposed", 5.58, ""),
        "Video companionship": ("Exploring", 7.02, "Council"),
    }


def test_cumulative_flow_and_stage_durations(history, the_board):
    report = build(the_board)
    flow = {
        row["week"]: {s["stage"]: s["count"] for s in row["stages"]}
        for row in report["cumulative_flow"]
    }
    assert len(flow) == 12
    assert list(flow)[-1] == "2026-W43"
    assert flow["2026-W39"]["Proposed"] == 0
    assert flow["2026-W40"]["Proposed"] == 1  # Dormant, 1 October
    assert flow["2026-W42"]["Proposed"] == 3
    assert flow["2026-W43"]["Proposed"] == 2 and flow["2026-W43"]["Exploring"] == 1
    durations = {r["stage"]: r for r in report["stage_durations"]}
    assert durations["Exploring"]["initiatives"] == 1
    assert durations["Exploring"]["max_days"] == 7.02
    assert durations["Proposed"]["initiatives"] == 4


def test_a_past_week_reads_the_same_after_later_changes(history, the_board, users):
    first = render.to_json(build(the_board))
    with at("2026-11-20T10:00:00"):
        ops.edit(users["envoy"], history["video"], 2, {"title": "Renamed later"})
        ops.add_comment(users["envoy"], history["dormant"], "Woke up")
        db.session.commit()
    assert render.to_json(build(the_board)) == first
    assert "Renamed later" in render.to_json(build(the_board, "2026-W47"))


def test_json_format_is_plain_json_with_iso_dates(history, the_board):
    document = json.loads(render.to_json(build(the_board)))
    assert document["week"]["week"] == "2026-W43"
    assert document["week"]["starts"] == "2026-10-19T00:00:00+01:00"
    assert document["week"]["ends"] == "2026-10-26T00:00:00+00:00"
    assert document["next_steps"][0]["due"] == "2026-10-20"


def test_csv_has_a_section_column_and_neutralises_formulas(history, the_board, users):
    with at("2026-10-23T09:00:00"):
        ops.propose(
            users["envoy"],
            the_board.id,
            {
                "title": '=HYPERLINK("http://x")',
                "grand_challenge_id": the_board.grand_challenges[0].id,
            },
        )
        db.session.commit()
    rows = list(csv.reader(io.StringIO(render.to_csv(build(the_board)))))
    assert rows[0][:3] == ["section", "board", "week"]
    sections = {row[0] for row in rows[1:]}
    assert sections == {
        "Stages",
        "RAG",
        "Changes",
        "No update 14 days",
        "Next steps due",
        "Time in stage",
        "Stage durations",
    }
    created = [row for row in rows if row[0] == "Changes" and row[4] == "created"]
    titles = {row[6] for row in created}
    assert '\'=HYPERLINK("http://x")' in titles
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_xlsx_has_one_sheet_per_section_typed_cells_and_no_formulas(history, the_board, users):
    with at("2026-10-23T09:00:00"):
        ops.propose(
            users["envoy"],
            the_board.id,
            {"title": "=1+2", "grand_challenge_id": the_board.grand_challenges[0].id},
        )
        ops.propose(
            users["envoy"],
            the_board.id,
            {"title": "@SUM(A1)", "grand_challenge_id": the_board.grand_challenges[0].id},
        )
        db.session.commit()
    workbook = openpyxl.load_workbook(io.BytesIO(render.to_xlsx(build(the_board))))
    assert workbook.sheetnames == [
        "Stages",
        "RAG",
        "Changes",
        "No update 14 days",
        "Next steps due",
        "Time in stage",
        "Stage durations",
    ]
    assert "2026-W43" in workbook.properties.title
    assert workbook.properties.title.endswith(the_board.name)
    changes = workbook["Changes"]
    assert changes.freeze_panes == "A2"
    assert [c.value for c in changes[1]][:3] == ["When", "Change", "Initiative id"]
    assert isinstance(changes["A2"].value, datetime)
    assert changes["A2"].value == datetime(2026, 10, 19, 0, 30)  # London wall time
    assert isinstance(changes["C2"].value, int)
    due = workbook["Next steps due"]
    assert isinstance(due["D2"].value, datetime) and due["D2"].value.date() == date(2026, 10, 20)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    titles = {row[3].value for row in changes.iter_rows(min_row=2)}
    assert "'=1+2" in titles and "'@SUM(A1)" in titles
    assert changes.column_dimensions["D"].width >= len("Smart health monitoring")


def test_export_weekly_command_writes_each_format(runner, history, the_board, tmp_path):
    for fmt in ("csv", "xlsx", "json", "html"):
        path = tmp_path / f"report.{fmt}"
        result = runner.invoke(
            args=[
                "export-weekly",
                "--board",
                str(the_board.id),
                "--week",
                "2026-W43",
                "--format",
                fmt,
                "--output",
                str(path),
            ]
        )
        assert result.exit_code == 0, result.output
        assert path.stat().st_size > 0
    assert json.loads((tmp_path / "report.json").read_text())["week"]["week"] == "2026-W43"
    assert openpyxl.load_workbook(tmp_path / "report.xlsx").sheetnames[0] == "Stages"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--board", "424242", "--week", "2026-W43"], "Board 424242 does not exist"),
        (["--board", "{board}", "--week", "2026-W99"], "2026-W99 does not exist"),
        (["--board", "{board}", "--week", "last week"], "ISO week"),
        (["--board", "{board}", "--week", "2026-W43", "--output-dir"], "No such option"),
    ],
)
def test_export_weekly_command_refuses_bad_input_with_exit_code_2(
    runner, the_board, tmp_path, args, message
):
    args = [a.replace("{board}", str(the_board.id)) for a in args]
    if "--output-dir" not in args:
        args += ["--output", str(tmp_path / "r.csv")]
    result = runner.invoke(args=["export-weekly", "--format", "csv", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "r.csv").exists()


def test_export_weekly_command_refuses_a_missing_folder(runner, the_board, tmp_path):
    result = runner.invoke(
        args=[
            "export-weekly",
            "--board",
            str(the_board.id),
            "--week",
            "2026-W43",
            "--format",
            "csv",
            "--output",
            str(tmp_path / "nope" / "r.csv"),
        ]
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_api_serves_every_format_to_every_role(client, history, the_board, users):
    from tests.factories import make_token

    for role in ("viewer", "member", "envoy"):
        headers = {"Authorization": f"Bearer {make_token(users[role])}"}
        for fmt, media in [
            ("json", "application/json"),
            ("csv", "text/csv"),
            ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ("html", "text/html"),
        ]:
            response = client.get(
                f"/api/v1/boards/{the_board.id}/reports/weekly?week=2026-W43&format={fmt}",
                headers=headers,
            )
            assert response.status_code == 200, (role, fmt, response.data[:200])
            assert response.mimetype == media
    bad = client.get(f"/api/v1/boards/{the_board.id}/reports/weekly?week=2026-W99", headers=headers)
    assert bad.status_code == 422
    assert "week" in bad.json["error"]["fields"]
    assert (
        client.get(f"/api/v1/boards/{the_board.id}/reports/weekly?week=2026-W43").status_code == 401
    )
