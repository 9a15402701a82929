"""The weekly report, computed from events with controlled timestamps: every section, every
format, reproducibility, and the command line."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
import time_machine

from tests.conftest import AuthActions
from tests.factories import make_organisation, role_type, stage
from tracker import board
from tracker.extensions import db
from tracker.reports import render
from tracker.reports import service as reports
from tracker.reports.week import Week


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
        change = board.propose(
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
        board.move(envoy, ids["video"], 1, stage(the_board, "Exploring"), 0)
        db.session.commit()
    with at("2026-10-20T10:00:00"):
        ids["health"] = propose(
            "Smart health monitoring", next_step="Pilot plan", next_step_due="2026-11-05"
        )
    with at("2026-10-21T12:00:00"):
        board.claim(envoy, ids["video"], role_type(the_board, "Lead").id, council.id)
        partner = board.claim(
            envoy, ids["video"], role_type(the_board, "Partner").id, users["member"].organisation_id
        )
        db.session.commit()
    with at("2026-10-22T15:45:00"):
        board.edit(envoy, ids["health"], 1, {"rag": "amber", "rag_reason": "No funder yet"})
        db.session.commit()
    with at("2026-10-24T08:00:00"):
        board.release(envoy, partner.value.id)
        db.session.commit()
    with at("2026-10-25T23:30:00"):  # Sunday 23:30 GMT, after the clocks went back: inside
        board.archive(envoy, ids["parked"], 1)
        db.session.commit()
    with at("2026-10-26T00:30:00"):  # Monday 00:30 GMT: the next week
        board.move(envoy, ids["health"], 2, stage(the_board, "Pilot"), 0)
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
        (r["initiative"], r["due"], r["status"], r["days_until_due"]) for r in report["next_steps"]
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
        board.edit(users["envoy"], history["video"], 2, {"title": "Renamed later"})
        board.add_comment(users["envoy"], history["dormant"], "Woke up")
        db.session.commit()
    assert render.to_json(build(the_board)) == first
    assert "Renamed later" in render.to_json(build(the_board, "2026-W47"))


def test_json_format_is_plain_json_with_iso_dates(history, the_board):
    document = json.loads(render.to_json(build(the_board)))
    assert document["week"]["week"] == "2026-W43"
    assert document["week"]["starts"] == "2026-10-19T00:00:00+01:00"
    assert document["week"]["ends"] == "2026-10-26T00:00:00+00:00"
    assert document["next_steps"][0]["due"] == "2026-10-20"


SECTION_TITLES = [
    "Stages",
    "RAG",
    "Changes",
    "No update 14 days",
    "Next steps due",
    "Roles wanted",
    "Time in stage",
    "Stage durations",
]


def csv_sections(text: str) -> dict[str, list[dict[str, str]]]:
    """Each section of the weekly CSV as a list of rows keyed by that section's header row."""
    sections: dict[str, list[dict[str, str]]] = {}
    header: list[str] = []
    for row in csv.reader(io.StringIO(text)):
        if not row:
            continue
        if row[0] == "Section":
            header = row
            continue
        sections.setdefault(row[0], []).append(dict(zip(header, row, strict=True)))
    return sections


def test_csv_is_utf8_with_a_bom_and_a_named_header_row_per_section(history, the_board):
    body = render.render_bytes(build(the_board), "csv")
    assert body.startswith(b"\xef\xbb\xbf")  # Excel on Windows reads UTF-8 only with it
    text = body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    headers = [row for row in rows if row and row[0] == "Section"]
    assert len(headers) == len(SECTION_TITLES)
    assert not any(cell.startswith("column ") for row in headers for cell in row)
    assert headers[0] == [
        "Section",
        "Board",
        "Week",
        "Stage",
        "Initiatives",
        "Week before",
        "Change",
    ]
    assert headers[2][:6] == ["Section", "Board", "Week", "When", "Change", "Initiative id"]
    sections = csv_sections(text)
    # No role is wanted in this history: that section is its header row alone.
    assert list(sections) == [title for title in SECTION_TITLES if title != "Roles wanted"]
    assert all(r["Board"] == the_board.name and r["Week"] == "2026-W43" for r in sections["RAG"])


def test_csv_shows_words_people_read(history, the_board):
    sections = csv_sections(render.to_csv(build(the_board)).lstrip("\ufeff"))
    assert [r["RAG status"] for r in sections["RAG"]] == ["Red", "Amber", "Green", "Not set"]
    rag_change = next(r for r in sections["Changes"] if r["Change"] == "RAG changed")
    assert (rag_change["From"], rag_change["To"]) == ("Not set", "Amber")
    assert {r["Change"] for r in sections["Changes"]} == {
        "Moved",
        "Created",
        "Role claimed",
        "Role released",
        "RAG changed",
        "Archived",
    }
    assert [
        (r["Initiative"], r["Status"], r["Days until due"]) for r in sections["Next steps due"]
    ] == [
        ("Dormant", "5 days overdue", "-5"),
        ("Smart health monitoring", "Due in 11 days", "11"),
    ]
    assert {r["RAG status"] for r in sections["Time in stage"]} == {"Not set", "Amber"}
    # The JSON keeps the codes.
    document = json.loads(render.to_json(build(the_board)))
    assert [r["rag"] for r in document["rag_counts"]] == ["red", "amber", "green", "not_set"]
    assert document["next_steps"][0]["status"] == "overdue"


def test_csv_round_trips_accents_and_neutralises_formulas(history, the_board, users):
    with at("2026-10-23T09:00:00"):
        for title in ('=HYPERLINK("http://x")', "Café numérique", "-20% emissions"):
            board.propose(
                users["envoy"],
                the_board.id,
                {"title": title, "grand_challenge_id": the_board.grand_challenges[0].id},
            )
        db.session.commit()
    text = render.render_bytes(build(the_board), "csv").decode("utf-8-sig")
    created = {r["Initiative"] for r in csv_sections(text)["Changes"] if r["Change"] == "Created"}
    assert {'\'=HYPERLINK("http://x")', "Café numérique", "'-20% emissions"} <= created
    rows = list(csv.reader(io.StringIO(text)))
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def _propose_titles(the_board, users, titles):
    with at("2026-10-23T09:00:00"):
        for title in titles:
            board.propose(
                users["envoy"],
                the_board.id,
                {"title": title, "grand_challenge_id": the_board.grand_challenges[0].id},
            )
        db.session.commit()


def test_xlsx_has_one_sheet_per_section_and_typed_cells(history, the_board):
    workbook = openpyxl.load_workbook(io.BytesIO(render.to_xlsx(build(the_board))))
    assert workbook.sheetnames == SECTION_TITLES
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
    assert due["E2"].value == "5 days overdue" and due["F2"].value == -5
    assert [c.value for c in workbook["RAG"]["A"][1:]] == ["Red", "Amber", "Green", "Not set"]
    assert changes.column_dimensions["D"].width >= len("Smart health monitoring")


FORMULA_LIKE = ["=1+1", "-20% emissions", "@x", "+44 1707 284000", '=HYPERLINK("http://x")']


def test_xlsx_keeps_formula_like_text_unchanged_as_text_cells(history, the_board, users):
    _propose_titles(the_board, users, FORMULA_LIKE)
    workbook = openpyxl.load_workbook(io.BytesIO(render.to_xlsx(build(the_board))))
    cells = {
        cell.value: cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }
    for title in FORMULA_LIKE:
        assert title in cells, title  # no apostrophe added
        assert cells[title].data_type == "s", title  # a text cell: never evaluated
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                assert not (isinstance(cell.value, str) and cell.value.startswith("'=")), cell


def test_xlsx_header_rows_are_bold_and_every_sheet_prints_landscape_fitted_to_width(
    history, the_board
):
    workbook = openpyxl.load_workbook(io.BytesIO(render.to_xlsx(build(the_board))))
    for sheet in workbook.worksheets:
        assert all(cell.font.bold for cell in sheet[1]), sheet.title
        assert not any(cell.font.bold for row in sheet.iter_rows(min_row=2) for cell in row)
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True, sheet.title
        assert int(sheet.page_setup.fitToWidth) == 1, sheet.title
        assert int(sheet.page_setup.fitToHeight) == 0, sheet.title
        assert sheet.print_title_rows == "$1:$1", sheet.title


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


# --- any text the event log holds renders in every format ---------------------------------

# Every C0 control character and DEL, and U+FFFE (which XML forbids too). The entry points
# refuse them now; events written before that, or by a script, may still hold them.
EVERY_C0 = "".join(chr(i) for i in range(32)) + "\x7f" + "\ufffe"
# A lone surrogate can only hide inside an event's JSON (a text column cannot encode it).
IN_EVENT_DATA = EVERY_C0 + "\ud800"
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _column_text(label: str) -> str:
    """Every C0 character a text column of this database can hold (PostgreSQL text refuses
    NUL, so it cannot be there to render)."""
    nul = "" if db.engine.dialect.name == "postgresql" else "\x00"
    return f"{label} {nul}{EVERY_C0[1:]} end"


@pytest.fixture
def control_characters(the_board, users):
    """A week (2026-W43) whose events hold every C0 character in every text the report shows:
    the board, stage, Grand Challenge and organisation names, the actor's name, titles, next
    step, RAG reason, role and organisation of a claim, stage names of a move. Written
    straight through the models and `events.append`, as the entry points would refuse it."""
    from tracker import events
    from tracker.models import Organisation, User

    the_board.name = _column_text("Board")
    the_board.stages[0].name = _column_text("Proposed")
    the_board.grand_challenges[0].name = _column_text("Challenge")
    organisation = make_organisation("Org")
    organisation.name = _column_text("Org")
    actor = db.session.get(User, users["envoy"].id)
    actor.name = _column_text("Envoy")
    actor.organisation = db.session.get(Organisation, organisation.id)
    db.session.commit()
    lead = role_type(the_board, "Lead")
    first, second = the_board.stages[0], the_board.stages[1]
    with at("2026-10-20T10:00:00"):
        initiative = board.propose(
            actor,
            the_board.id,
            {"title": "Clean title", "grand_challenge_id": the_board.grand_challenges[0].id},
        ).value
        db.session.commit()
    dirty = IN_EVENT_DATA

    def append(moment: str, type_: str, data: dict) -> None:
        with at(moment):
            events.append(
                board_id=the_board.id,
                type=type_,
                actor=actor,
                initiative_id=initiative.id,
                data=data,
            )
            db.session.commit()

    append(
        "2026-10-20T11:00:00",
        board.INITIATIVE_EDITED,
        {
            "changes": {
                "title": {"from": "Clean title", "to": f"Title {dirty}"},
                "next_step": {"from": "", "to": f"Step {dirty}"},
                "next_step_due": {"from": None, "to": "2026-10-23"},
            },
            "version": 2,
        },
    )
    append(
        "2026-10-21T11:00:00",
        board.RAG_CHANGED,
        {
            "changes": {
                "rag": {"from": "not_set", "to": "red"},
                "rag_reason": {"from": "", "to": f"Reason {dirty}"},
            },
            "version": 3,
        },
    )
    for claim_id, role_id, role in ((9001, lead.id, "Lead"), (9002, lead.id, f"Role {dirty}")):
        append(
            "2026-10-22T11:00:00",
            board.ROLE_CLAIMED,
            {
                "claim_id": claim_id,
                "role_type_id": role_id,
                "role": role,
                "organisation_id": organisation.id,
                "organisation": f"Claimant {dirty}",
                "exclusive": True,
            },
        )
    append(
        "2026-10-23T11:00:00",
        board.INITIATIVE_MOVED,
        {
            "from": {
                "stage_id": first.id,
                "stage": f"From {dirty}",
                "grand_challenge_id": initiative.grand_challenge_id,
                "position": 0,
            },
            "to": {
                "stage_id": second.id,
                "stage": f"To {dirty}",
                "grand_challenge_id": initiative.grand_challenge_id,
                "position": 0,
            },
            "version": 4,
        },
    )
    return initiative.id


# Where the fixture put control characters: each must be shown, with U+FFFD in their place.
SHOWN_LABELS = (
    "Board",
    "Proposed",
    "Challenge",
    "Org",
    "Envoy",
    "Title",
    "Step",
    "Reason",
    "Role",
    "Claimant",
    "From",
    "To",
)


def _svg_parses_as_xml(html: str) -> None:
    """Inline SVG is XML: XML 1.0 forbids most C0 characters."""
    from xml.etree import ElementTree

    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert svgs
    for svg in svgs:
        ElementTree.fromstring(svg.replace("&nbsp;", "&#160;"))


def _check_rendered(fmt: str, body: bytes) -> None:
    """The file opens in what reads it, shows a replacement character where the stored text
    had a control character, and holds no unprintable character itself."""
    if fmt == "xlsx":
        workbook = openpyxl.load_workbook(io.BytesIO(body))
        texts = [
            cell.value
            for sheet in workbook.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if isinstance(cell.value, str)
        ]
        texts.append(workbook.properties.title)
        text = "\n".join(texts)
    else:
        text = body.decode("utf-8")
    assert not UNPRINTABLE.search(text), fmt
    if fmt == "json":
        document = json.loads(text)
        assert "\ufffd" in document["board"]["name"]
        text = json.dumps(document, ensure_ascii=False)
    if fmt == "csv":
        csv_sections(text.lstrip("\ufeff"))  # every row as long as its header row
        headers = [r for r in csv.reader(io.StringIO(text)) if r and r[0].endswith("Section")]
        assert len(headers) == len(SECTION_TITLES)
    if fmt == "html":
        _svg_parses_as_xml(text)
    for label in SHOWN_LABELS:
        assert f"{label} \ufffd" in text, (fmt, label)


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx", "html"])
def test_api_renders_every_control_character_stored_in_events(
    client, control_characters, the_board, users, fmt
):
    from tests.factories import make_token

    response = client.get(
        f"/api/v1/boards/{the_board.id}/reports/weekly?week=2026-W43&format={fmt}",
        headers={"Authorization": f"Bearer {make_token(users['viewer'])}"},
    )
    assert response.status_code == 200, response.data[:300]
    _check_rendered(fmt, response.data)


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx", "html"])
def test_export_weekly_command_renders_every_control_character_stored_in_events(
    runner, control_characters, the_board, tmp_path, fmt
):
    path = tmp_path / f"report.{fmt}"
    result = runner.invoke(
        args=[
            "export-weekly",
            *("--board", str(the_board.id), "--week", "2026-W43"),
            *("--format", fmt, "--output", str(path)),
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.exception is None
    _check_rendered(fmt, path.read_bytes())


@pytest.mark.time_machine(datetime(2026, 11, 26, 12, tzinfo=UTC), tick=False)
def test_pages_render_every_control_character_stored_in_events(
    client, auth, control_characters, the_board, users
):
    auth.login(users["viewer"])
    report = client.get(f"/boards/{the_board.id}/reports?week=2026-W43")
    assert report.status_code == 200
    html = report.get_data(as_text=True)
    fragment = html[html.index('<article class="report"') : html.index("</article>")]
    assert not UNPRINTABLE.search(fragment)
    assert "Title \ufffd" in fragment
    _svg_parses_as_xml(fragment)
    # The other pages that tell events (the board and its feed, the initiative's history).
    assert client.get(f"/boards/{the_board.id}").status_code == 200
    # The board as it was, and the initiative's history, are told from the events.
    for path in (f"/boards/{the_board.id}?as_of=2026-10-25", f"/initiatives/{control_characters}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Title \ufffd" in response.get_data(as_text=True) or "Reason \ufffd" in (
            response.get_data(as_text=True)
        ), path


def test_printable_replaces_every_control_character_but_tab_and_line_breaks():
    from tracker.reports.printable import printable

    shown = printable({"a": [f"x{EVERY_C0}\ud800y"], "n": 3})
    assert shown["n"] == 3
    assert shown["a"][0] == "x" + "\ufffd" * 9 + "\t\n" + "\ufffd\ufffd\r" + "\ufffd" * 21 + "y"


def test_xlsx_of_a_week_whose_title_held_a_bell_character_renders_after_the_edit_back(
    client, runner, the_board, users, tmp_path
):
    """The instance from the issue: "a\\u0007b" proposed, then edited back; the events keep it."""
    from tests.factories import make_token

    with at("2026-10-20T10:00:00"):
        change = board.propose(
            users["envoy"],
            the_board.id,
            {"title": "ab", "grand_challenge_id": the_board.grand_challenges[0].id},
        )
        initiative = change.value
        # As the old entry point stored it (the entry points refuse it now).
        change.event.data = {"initiative": {**change.event.data["initiative"], "title": "a\u0007b"}}
        db.session.commit()
    with at("2026-10-21T10:00:00"):
        board.edit(users["envoy"], initiative.id, 1, {"title": "a b"})
        db.session.commit()
    response = client.get(
        f"/api/v1/boards/{the_board.id}/reports/weekly?week=2026-W43&format=xlsx",
        headers={"Authorization": f"Bearer {make_token(users['viewer'])}"},
    )
    assert response.status_code == 200
    changes = openpyxl.load_workbook(io.BytesIO(response.data))["Changes"]
    assert [row[3].value for row in changes.iter_rows(min_row=2)] == ["a\ufffdb"]
    path = tmp_path / "r.xlsx"
    result = runner.invoke(
        args=[
            *("export-weekly", "--board", str(the_board.id), "--week", "2026-W43"),
            *("--format", "xlsx", "--output", str(path)),
        ]
    )
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(path).sheetnames == SECTION_TITLES


# --- due and overdue from the report's instant ---------------------------------------------

# Monday 30 November 2026, 10:00 in London: week 2026-W49 (30 November to 6 December) runs.
MONDAY = datetime(2026, 11, 30, 10, tzinfo=UTC)
DUE = {
    "Thursday step": "2026-12-03",  # in 3 days: not overdue on Monday
    "Friday step": "2026-11-27",  # 3 days overdue
    "Today step": "2026-11-30",  # due today
    "Fortnight step": "2026-12-14",  # the last day within 14 days of today
    "Later step": "2026-12-17",  # more than 14 days from today (though within 14 of Sunday)
}


@pytest.fixture
def due_steps(the_board, users):
    for title, due in DUE.items():
        board.propose(
            users["envoy"],
            the_board.id,
            {
                "title": title,
                "grand_challenge_id": the_board.grand_challenges[0].id,
                "next_step": f"Do {title.lower()}",
                "next_step_due": due,
            },
        )
    db.session.commit()


def _report_files(client, board_id: int, week: str) -> dict[str, bytes]:
    from tests.factories import make_token
    from tracker.models import User

    viewer = db.session.scalar(sa.select(User).where(User.role == "viewer"))
    headers = {"Authorization": f"Bearer {make_token(viewer)}"}
    files = {}
    for fmt in ("json", "csv", "xlsx", "html"):
        response = client.get(
            f"/api/v1/boards/{board_id}/reports/weekly?week={week}&format={fmt}", headers=headers
        )
        assert response.status_code == 200, (fmt, response.data[:300])
        files[fmt] = response.data
    return files


def _statuses(files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """Per format: each initiative's next step status as that format shows it."""
    shown: dict[str, dict[str, Any]] = {}
    document = json.loads(files["json"])
    shown["json"] = {
        r["initiative"]: (r["status"], r["days_until_due"]) for r in document["next_steps"]
    }
    sections = csv_sections(files["csv"].decode("utf-8-sig"))
    shown["csv"] = {r["Initiative"]: r["Status"] for r in sections.get("Next steps due", [])}
    sheet = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))["Next steps due"]
    shown["xlsx"] = {row[1].value: row[4].value for row in sheet.iter_rows(min_row=2)}
    return shown


def _overdue_in_summary(html: str) -> int:
    found = re.search(r"<dt>Next steps overdue</dt><dd>(\d+)</dd>", html)
    assert found, "no summary"
    return int(found[1])


@pytest.mark.time_machine(MONDAY, tick=False)
def test_running_week_counts_due_and_overdue_from_now_in_every_format(
    client, auth, the_board, users, due_steps
):
    files = _report_files(client, the_board.id, "2026-W49")
    shown = _statuses(files)
    assert shown["json"] == {
        "Friday step": ("overdue", -3),
        "Today step": ("due", 0),
        "Thursday step": ("due soon", 3),
        "Fortnight step": ("due soon", 14),
    }
    words = {
        "Friday step": "3 days overdue",
        "Today step": "Due today",
        "Thursday step": "Due in 3 days",
        "Fortnight step": "Due in 14 days",
    }
    assert shown["csv"] == words
    assert shown["xlsx"] == words
    document = json.loads(files["json"])
    assert document["week"]["running"] is True
    assert document["week"]["as_of"] == "2026-11-30T10:00:00+00:00"
    assert document["week"]["as_of_day"] == "2026-11-30"
    # The HTML report and the reports page: one overdue, the Thursday step due in 3 days.
    auth.login(users["viewer"])
    page = client.get(f"/boards/{the_board.id}/reports?week=2026-W49").get_data(as_text=True)
    for html in (files["html"].decode(), page):
        assert _overdue_in_summary(html) == 1
        rows = " ".join(re.sub(r"<[^>]+>", " ", html).split())
        assert "Do thursday step Thu 3 Dec 2026 Due soon due in 3 days" in rows
        assert "Do friday step Fri 27 Nov 2026 Overdue 3 days overdue" in rows
        assert "Do today step Mon 30 Nov 2026 Due today" in rows
        section = rows.split("Next steps of live initiatives")[1].split("No update for 14 days")[0]
        assert "Later step" not in section and "Fortnight step" in section
        assert "due by Mon 14 Dec 2026" in rows


def test_finished_week_counts_due_and_overdue_from_its_sunday(client, the_board, users):
    with time_machine.travel(MONDAY, tick=False):
        for title, due in DUE.items():
            board.propose(
                users["envoy"],
                the_board.id,
                {
                    "title": title,
                    "grand_challenge_id": the_board.grand_challenges[0].id,
                    "next_step_due": due,
                },
            )
        db.session.commit()
    with time_machine.travel(datetime(2026, 12, 9, 12, tzinfo=UTC), tick=False):
        shown = _statuses(_report_files(client, the_board.id, "2026-W49"))
    assert shown["json"] == {
        "Friday step": ("overdue", -9),
        "Today step": ("overdue", -6),
        "Thursday step": ("overdue", -3),
        "Fortnight step": ("due soon", 8),
        "Later step": ("due soon", 11),
    }
    assert shown["csv"]["Thursday step"] == shown["xlsx"]["Thursday step"] == "3 days overdue"


def _export(runner, *args: str):
    return runner.invoke(args=["export-weekly", *args])


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("output is a folder", "is a directory"),
        ("folder missing", "does not exist"),
        ("parent is a file", "is not a folder"),
        ("xlsx to standard output", "xlsx cannot be written to standard output"),
        ("folder read-only", "Cannot write"),
        ("board missing", "Board 424242 does not exist"),
        ("week missing", "2025-W53 does not exist"),
        ("week malformed", "must be an ISO week"),
        ("format unknown", "Invalid value for '--format'"),
    ],
)
def test_export_weekly_command_exits_2_with_a_message_for_whatever_a_user_gets_wrong(
    runner, the_board, tmp_path, monkeypatch, case, message
):
    board, week, fmt = str(the_board.id), "2026-W43", "csv"
    output = str(tmp_path / "report.csv")
    if case == "output is a folder":
        output = str(tmp_path)
    elif case == "folder missing":
        output = str(tmp_path / "nope" / "report.csv")
    elif case == "parent is a file":
        (tmp_path / "file").write_text("x")
        output = str(tmp_path / "file" / "report.csv")
    elif case == "xlsx to standard output":
        fmt, output = "xlsx", "-"
    elif case == "folder read-only":
        # Even as root: opening the output fails as it would in a read-only folder.
        real_open = Path.open

        def refuse(path, *args, **kwargs):
            if str(path) == output:
                raise PermissionError(13, "Permission denied", output)
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(Path, "open", refuse)
    elif case == "board missing":
        board = "424242"
    elif case == "week missing":
        week = "2025-W53"
    elif case == "week malformed":
        week = "last week"
    elif case == "format unknown":
        fmt = "pdf"
    result = _export(runner, "--board", board, "--week", week, "--format", fmt, "--output", output)
    assert result.exit_code == 2, (result.output, result.exception)
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_export_weekly_command_exits_2_when_the_database_is_not_upgraded(tmp_path):
    from tracker import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
            "REPORT_CACHE_DIR": str(tmp_path / "cache"),
        }
    )
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=[
                *("export-weekly", "--board", "1", "--week", "2026-W43"),
                *("--format", "csv", "--output", str(tmp_path / "r.csv")),
            ]
        )
        db.engine.dispose()
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Cannot read the database" in result.output
    assert "tracker db upgrade" in result.output


# --- the report cache and build slots ------------------------------------------------------

AFTER_W43 = datetime(2026, 12, 1, 12, tzinfo=UTC)  # week 2026-W43 long over


@pytest.fixture
def builds(monkeypatch):
    """Every report computation (what a build costs), as the weeks asked for."""
    calls: list[str] = []
    real = reports.weekly_report

    def spy(board, week, **names):
        calls.append(str(week))
        return real(board, week, **names)

    monkeypatch.setattr(reports, "weekly_report", spy)
    return calls


def _get(client, board_id: int, token: str, fmt: str, week: str = "2026-W43"):
    return client.get(
        f"/api/v1/boards/{board_id}/reports/weekly?week={week}&format={fmt}",
        headers={"Authorization": f"Bearer {token}"},
    )


def _token(users, role: str = "viewer") -> str:
    from tests.factories import make_token

    return make_token(users[role])


@pytest.mark.time_machine(AFTER_W43, tick=False)
@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx", "html"])
def test_repeat_report_is_served_from_the_cache(client, history, the_board, users, builds, fmt):
    token = _token(users)
    first = _get(client, the_board.id, token, fmt)
    again = _get(client, the_board.id, _token(users, "member"), fmt)
    assert first.status_code == again.status_code == 200
    assert again.data == first.data
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert again.headers.get("Content-Disposition") == first.headers.get("Content-Disposition")
    assert builds == ["2026-W43"]  # built once, for everyone


@pytest.mark.time_machine(AFTER_W43, tick=False)
def test_command_line_and_page_use_the_cache_too(
    client, auth, runner, history, the_board, users, builds, tmp_path
):
    served = _get(client, the_board.id, _token(users), "csv")
    path = tmp_path / "report.csv"
    result = _export(
        runner,
        *("--board", str(the_board.id), "--week", "2026-W43"),
        *("--format", "csv", "--output", str(path)),
    )
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == served.data
    assert builds == ["2026-W43"]
    auth.login(users["envoy"])
    pages = [client.get(f"/boards/{the_board.id}/reports?week=2026-W43") for _ in range(2)]
    assert [p.status_code for p in pages] == [200, 200]
    assert pages[0].get_data(as_text=True) == pages[1].get_data(as_text=True)
    assert builds == ["2026-W43", "2026-W43"]  # the page's own fragment, built once


@pytest.mark.time_machine(AFTER_W43, tick=False)
def test_a_change_after_the_weeks_end_does_not_change_its_cached_report(
    client, app, history, the_board, users, builds
):
    token = _token(users)
    before = {fmt: _get(client, the_board.id, token, fmt).data for fmt in ("json", "xlsx")}
    board.edit(users["envoy"], history["video"], 2, {"title": "Renamed after the week"})
    board.add_comment(users["envoy"], history["dormant"], "Woke up")
    db.session.commit()
    after = {fmt: _get(client, the_board.id, token, fmt).data for fmt in ("json", "xlsx")}
    assert after == before
    assert builds == ["2026-W43", "2026-W43"]
    # And what the cache kept is what a fresh build says.
    app.config["REPORT_CACHE_MAX_MB"] = 0
    assert _get(client, the_board.id, token, "json").data == before["json"]
    assert b"Renamed after the week" not in before["json"]


@pytest.mark.time_machine(MONDAY, tick=False)
def test_a_change_in_the_running_week_changes_its_report(client, the_board, users, builds):
    token = _token(users)
    first = _get(client, the_board.id, token, "json", "2026-W49")
    assert _get(client, the_board.id, token, "json", "2026-W49").data == first.data
    assert builds == ["2026-W49"]
    board.propose(
        users["envoy"],
        the_board.id,
        {"title": "New this week", "grand_challenge_id": the_board.grand_challenges[0].id},
    )
    db.session.commit()
    changed = _get(client, the_board.id, token, "json", "2026-W49")
    assert b"New this week" in changed.data and b"New this week" not in first.data
    assert builds == ["2026-W49", "2026-W49"]


def test_a_running_weeks_report_is_measured_again_once_its_time_bucket_passes(
    client, app, the_board, users, builds
):
    token = _token(users)
    with time_machine.travel(MONDAY, tick=False):
        board.propose(
            users["envoy"],
            the_board.id,
            {"title": "Quiet", "grand_challenge_id": the_board.grand_challenges[0].id},
        )
        db.session.commit()
        first = json.loads(_get(client, the_board.id, token, "json", "2026-W49").data)
    with time_machine.travel(datetime(2026, 11, 30, 10, 4, tzinfo=UTC), tick=False):
        assert json.loads(_get(client, the_board.id, token, "json", "2026-W49").data) == first
    assert builds == ["2026-W49"]
    with time_machine.travel(datetime(2026, 12, 2, 9, tzinfo=UTC), tick=False):
        later = json.loads(_get(client, the_board.id, token, "json", "2026-W49").data)
    assert later["week"]["as_of"] == "2026-12-02T09:00:00+00:00"
    assert later["time_in_stage"][0]["days_in_stage"] > first["time_in_stage"][0]["days_in_stage"]
    assert len(builds) == 2


@pytest.mark.time_machine(AFTER_W43, tick=False)
def test_a_renamed_stage_is_not_served_from_a_report_cached_before(
    client, history, the_board, users, builds
):
    token = _token(users)
    assert b"Exploring" in _get(client, the_board.id, token, "csv").data
    the_board.stages[1].name = "Scoping"
    db.session.commit()
    renamed = _get(client, the_board.id, token, "csv").data
    assert b"Scoping" in renamed
    assert len(builds) == 2


@pytest.mark.time_machine(AFTER_W43, tick=False)
def test_the_cache_stays_within_its_bound(client, app, history, the_board, users):
    from pathlib import Path

    app.config["REPORT_CACHE_MAX_MB"] = 0.04  # about 42 KB: a few small reports
    token = _token(users)
    weeks = [f"2026-W{n}" for n in range(30, 45)]
    for week in weeks:
        assert _get(client, the_board.id, token, "html", week).status_code == 200
    folder = Path(app.config["REPORT_CACHE_DIR"])
    sizes = [f.stat().st_size for f in folder.iterdir()]
    assert 0 < len(sizes) < len(weeks)
    assert sum(sizes) <= 0.04 * 1024 * 1024


@pytest.mark.time_machine(AFTER_W43, tick=False)
def test_a_cache_that_cannot_be_written_is_not_a_failed_report(
    client, app, history, the_board, users, tmp_path, caplog
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app.config["REPORT_CACHE_DIR"] = str(blocker / "reports")
    response = _get(client, the_board.id, _token(users), "xlsx")
    assert response.status_code == 200
    assert "Report cache: cannot write" in caplog.text


@pytest.fixture
def held_builds(monkeypatch):
    """Report builds that wait, while `hold` is set, until the test lets them go: the first
    `hold["count"]` builds block; `started` counts builds that began."""
    import threading

    real = reports.weekly_report
    state = {"count": 2, "started": 0, "condition": threading.Condition(), "go": threading.Event()}

    def slow(board, week, **names):
        with state["condition"]:
            state["started"] += 1
            mine = state["started"]
            state["condition"].notify_all()
        if mine <= state["count"]:
            assert state["go"].wait(30)
        return real(board, week, **names)

    monkeypatch.setattr(reports, "weekly_report", slow)
    return state


@pytest.mark.time_machine(AFTER_W43, tick=False)
def test_a_third_concurrent_build_from_one_user_is_refused_while_others_are_not_limited(
    app, auth, history, the_board, users, held_builds
):
    from concurrent.futures import ThreadPoolExecutor

    viewer, member = _token(users, "viewer"), _token(users, "member")
    with ThreadPoolExecutor(2) as pool:
        # Two builds of the viewer's, held mid-build (two formats: neither is cached yet).
        running = [
            pool.submit(_get, app.test_client(), the_board.id, viewer, fmt)
            for fmt in ("xlsx", "csv")
        ]
        with held_builds["condition"]:
            assert held_builds["condition"].wait_for(lambda: held_builds["started"] == 2, 30)
        third = _get(app.test_client(), the_board.id, viewer, "html")
        assert third.status_code == 429
        assert third.headers["Retry-After"] == "3"
        assert third.json["error"]["code"] == "too_many_requests"
        assert "2 reports being generated" in third.json["error"]["message"]
        # The reports page is built within the same slots: a page with the reason.
        client = app.test_client()
        AuthActions(client).login(users["viewer"])
        page = client.get(f"/boards/{the_board.id}/reports?week=2026-W43")
        assert page.status_code == 429 and page.headers["Retry-After"] == "3"
        assert "2 reports being generated" in page.get_data(as_text=True)
        # Another user is not limited by the viewer's builds.
        other = _get(app.test_client(), the_board.id, member, "html")
        assert other.status_code == 200
        # A cached report takes no slot: the viewer gets the member's HTML at once.
        assert _get(app.test_client(), the_board.id, viewer, "html").status_code == 200
        held_builds["go"].set()
        assert [f.result(timeout=60).status_code for f in running] == [200, 200]
    # The slots are free again.
    assert _get(app.test_client(), the_board.id, viewer, "json").status_code == 200


def test_report_endpoint_documents_429(client):
    document = client.get("/api/v1/openapi.json").json
    responses = document["paths"]["/api/v1/boards/{board_id}/reports/weekly"]["get"]["responses"]
    assert "429" in responses


@pytest.fixture
def redis_url():
    import redis

    url = os.environ.get("TRACKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("No Redis at TRACKER_TEST_REDIS_URL (default redis://127.0.0.1:6379/15).")
    return url


def test_build_slots_in_redis_hold_across_workers_and_expire(app, redis_url):
    import secrets
    import time

    from tracker.reports import cache

    prefix = f"tracker-test:report-builds:{secrets.token_hex(6)}"
    # Two workers' views of the same Redis.
    one, two = (cache.RedisSlots(redis_url, prefix, slot_seconds=2) for _ in range(2))
    first, second = one.acquire(7, 2), two.acquire(7, 2)
    assert first and second
    assert one.acquire(7, 2) is None and two.acquire(7, 2) is None
    assert two.acquire(8, 2)  # another user
    one.release(7, first)
    third = two.acquire(7, 2)
    assert third
    # A worker that died mid-build does not hold its slot for ever.
    time.sleep(2.2)
    assert one.acquire(7, 2) and one.acquire(7, 2)


def test_build_slots_live_in_redis_when_there_is_a_message_queue(app, redis_url):
    from tracker.reports import cache

    app.config["MESSAGE_QUEUE"] = redis_url
    app.config["REPORT_BUILDS_REDIS_PREFIX"] = "tracker-test:report-builds:config"
    app.extensions[cache.EXTENSION]["slots"] = None
    assert isinstance(cache._slots(), cache.RedisSlots)


@pytest.mark.time_machine(AFTER_W43, tick=False)
def test_concurrent_requests_for_the_same_report_wait_for_one_build(
    app, history, the_board, users, held_builds
):
    import time
    from concurrent.futures import ThreadPoolExecutor

    held_builds["count"] = 1
    viewer = _token(users, "viewer")
    with ThreadPoolExecutor(4) as pool:
        asked = [
            pool.submit(_get, app.test_client(), the_board.id, viewer, "xlsx") for _ in range(4)
        ]
        with held_builds["condition"]:
            assert held_builds["condition"].wait_for(lambda: held_builds["started"] == 1, 30)
        time.sleep(0.5)  # the other three arrive while the first is building
        held_builds["go"].set()
        answers = [f.result(timeout=60) for f in asked]
    assert [a.status_code for a in answers] == [200] * 4  # more than 2, none refused
    assert len({a.data for a in answers}) == 1
    assert held_builds["started"] == 1


@pytest.mark.time_machine(AFTER_W43, tick=False)
def test_export_weekly_command_writes_text_formats_to_standard_output(runner, history, the_board):
    result = runner.invoke(
        args=[
            *("export-weekly", "--board", str(the_board.id), "--week", "2026-W43"),
            *("--format", "csv", "--output", "-"),
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbfSection,Board,Week,Stage")


@pytest.mark.time_machine(AFTER_W43, tick=False)
def test_choosing_another_lead_role_is_not_served_from_a_report_cached_before(
    client, history, the_board, users, builds
):
    token = _token(users)
    first = json.loads(_get(client, the_board.id, token, "json").data)
    assert {r["lead"] for r in first["time_in_stage"]} == {"", "Council"}
    for role in the_board.role_types:
        role.is_lead = role.name == "Partner"
    db.session.commit()
    again = json.loads(_get(client, the_board.id, token, "json").data)
    assert {r["lead"] for r in again["time_in_stage"]} == {""}  # the Partner claim was released
    assert len(builds) == 2


@pytest.mark.parametrize("board", ["9223372036854775808", "0", "-1", "2147483648"])
def test_export_weekly_command_refuses_ids_out_of_range_with_exit_code_2(runner, board, tmp_path):
    args = ["export-weekly", "--board", board, "--week", "2026-W48", "--format", "csv"]
    result = runner.invoke(args=[*args, "--output", str(tmp_path / "x.csv")])
    assert result.exit_code == 2, result.output
    assert "--board" in result.output and "Traceback" not in result.output
