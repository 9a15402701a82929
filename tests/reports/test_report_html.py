"""The printable HTML report, its charts' geometry, and the reports page.

A small history with controlled timestamps around the week 2026-W45 (Monday 2 to Sunday
8 November 2026, GMT) is rendered, and each section's table is read back row by row.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import math
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine

from tests.factories import make_organisation, role_type, stage
from tracker import board
from tracker.extensions import db
from tracker.reports import charts
from tracker.reports import service as reports
from tracker.reports.html import to_html

WEEK = "2026-W45"


def at(text: str) -> Any:
    """Run what follows at a fixed UTC instant."""
    return time_machine.travel(datetime.fromisoformat(text).replace(tzinfo=UTC), tick=False)


# --- reading HTML back --------------------------------------------------------------------


class Tables(HTMLParser):
    """Every <table> as its caption and its rows of cell texts (whitespace collapsed)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: list[dict[str, Any]] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._row: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td"):
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif self._caption is not None:
            self._caption.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("th", "td") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append(self._row)
            self._row = None

    def find(self, caption_start: str) -> list[list[str]]:
        """The body rows (header row dropped) of the one table whose caption starts so."""
        found = [t for t in self.tables if t["caption"].startswith(caption_start)]
        assert len(found) == 1, [t["caption"] for t in self.tables]
        return found[0]["rows"][1:]

    def lines(self, caption_start: str) -> list[str]:
        """The body rows as "cell | cell | …" lines, easier to read in a test."""
        return [" | ".join(row) for row in self.find(caption_start)]


def text_of(html: str) -> str:
    """The words of a page, roughly as read: tags gone, whitespace collapsed."""
    words = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    return re.sub(r" ([,.)])", r"\1", words)


# --- a controlled history ------------------------------------------------------------------


@pytest.fixture
def history(the_board, users):
    envoy = users["envoy"]
    gc = the_board.grand_challenges[0].id
    council = make_organisation("Council")
    police = users["member"].organisation
    db.session.commit()
    ids: dict[str, int] = {}

    def propose(title: str, **fields: Any) -> int:
        change = board.propose(
            envoy, the_board.id, {"title": title, "grand_challenge_id": gc, **fields}
        )
        db.session.commit()
        return change.value.id

    with at("2026-10-01T09:00:00"):  # 10:00 BST
        ids["dormant"] = propose(
            "Dormant data audit", next_step="Write it up", next_step_due="2026-10-30"
        )
    with at("2026-10-20T10:00:00"):
        ids["video"] = propose(
            "Video companionship", next_step="Round table", next_step_due="2026-11-20"
        )
    with at("2026-10-25T12:00:00"):
        ids["gone"] = propose("To be archived")
    with at("2026-11-01T23:30:00"):  # Sunday 23:30 GMT: the week before
        board.move(envoy, ids["video"], 1, stage(the_board, "Exploring"), 0)
        db.session.commit()
    with at("2026-11-02T09:15:00"):
        ids["health"] = propose(
            "Smart health monitoring", next_step="Pilot plan", next_step_due="2026-11-08"
        )
    with at("2026-11-03T14:00:00"):
        board.claim(envoy, ids["video"], role_type(the_board, "Lead").id, council.id)
        partner = board.claim(envoy, ids["video"], role_type(the_board, "Partner").id, police.id)
        db.session.commit()
    with at("2026-11-04T16:45:00"):
        board.edit(envoy, ids["health"], 1, {"rag": "amber", "rag_reason": "No funder yet"})
        db.session.commit()
    with at("2026-11-05T11:00:00"):
        board.release(envoy, partner.value.id)
        db.session.commit()
    with at("2026-11-06T10:00:00"):
        board.move(envoy, ids["video"], 2, stage(the_board, "Detailed discussions"), 0)
        db.session.commit()
    with at("2026-11-08T23:30:00"):  # Sunday 23:30 GMT: still inside the week
        board.archive(envoy, ids["gone"], 1)
        db.session.commit()
    with at("2026-11-09T00:30:00"):  # Monday: the next week
        board.move(envoy, ids["health"], 2, stage(the_board, "Pilot"), 0)
        db.session.commit()
    ids["envoy"] = envoy.name
    return ids


@pytest.fixture
def standalone(app, history, the_board) -> str:
    with app.test_request_context():
        return to_html(reports.build(the_board.id, WEEK))


# --- the standalone document ---------------------------------------------------------------


def test_report_title_names_board_and_week_and_london_dates(standalone, the_board):
    assert standalone.startswith("<!doctype html>")
    title = re.search(r"<title>(.*?)</title>", standalone)
    assert title and title[1] == f"Weekly status report {WEEK} — {the_board.name}"
    words = text_of(standalone)
    assert "Week 45, 2026 (2026-W45)" in words
    assert "Monday 2 November 2026 to Sunday 8 November 2026, UK time (Europe/London)" in words
    assert "not over yet" not in words


def test_report_counts_by_stage_and_rag_with_change(standalone):
    tables = Tables(standalone)
    stages = tables.find("Live initiatives in each stage at the end of Sun 8 Nov 2026")
    assert stages[:3] == [
        ["Proposed", "2", "2", "0"],
        ["Exploring", "0", "1", "\u22121"],
        ["Detailed discussions", "1", "0", "+1"],
    ]
    assert all(row[1:] == ["0", "0", "0"] for row in stages[3:8])
    assert stages[8] == ["All stages", "3", "3", "0"]
    assert tables.find("Live initiatives by RAG status") == [
        ["Red", "0", "0", "0"],
        ["Amber", "1", "0", "+1"],
        ["Green", "0", "0", "0"],
        ["Not set", "2", "3", "\u22121"],
    ]


def test_report_lists_every_change_of_the_week_in_london_time(standalone, history):
    by = f"{history['envoy']} The LEP"
    video = f"Video companionship #{history['video']}"
    health = f"Smart health monitoring #{history['health']}"
    assert Tables(standalone).lines("Every stage move, role claim and release") == [
        f"Mon 2 Nov 2026, 09:15 | {health} | Created |  | Proposed |  | {by}",
        f"Tue 3 Nov 2026, 14:00 | {video} | Role claimed |  | Council | Lead | {by}",
        f"Tue 3 Nov 2026, 14:00 | {video} | Role claimed |  | Police | Partner | {by}",
        f"Wed 4 Nov 2026, 16:45 | {health} | RAG changed | Not set | Amber | No funder yet | {by}",
        f"Thu 5 Nov 2026, 11:00 | {video} | Role released | Police |  | Partner | {by}",
        f"Fri 6 Nov 2026, 10:00 | {video} | Moved | Exploring | Detailed discussions |  | {by}",
        f"Sun 8 Nov 2026, 23:30 | To be archived #{history['gone']} | Archived |  |  |  | {by}",
    ]


def test_report_next_steps_stale_and_time_in_stage(standalone, history):
    tables = Tables(standalone)
    dormant, video, health = history["dormant"], history["video"], history["health"]
    assert tables.lines("Next steps of live initiatives due by Sun 22 Nov 2026") == [
        f"Dormant data audit #{dormant} | Write it up | Fri 30 Oct 2026 | Overdue 9 days overdue",
        f"Smart health monitoring #{health} | Pilot plan | Sun 8 Nov 2026 | Due at week end",
        f"Video companionship #{video} | Round table | Fri 20 Nov 2026 | Due soon due in 12 days",
    ]
    # 1 October 09:00 UTC was 10:00 in London (BST).
    assert tables.lines("Live initiatives with no change") == [
        f"Dormant data audit #{dormant} | Proposed | Thu 1 Oct 2026, 10:00 | 38.6",
    ]
    assert tables.lines("Every live initiative at the end of Sun 8 Nov 2026") == [
        f"Dormant data audit #{dormant} | Ageing Society | Proposed | Thu 1 Oct 2026 | 38.6"
        " | Not set | None yet | The LEP",
        f"Smart health monitoring #{health} | Ageing Society | Proposed | Mon 2 Nov 2026 | 6.6"
        " | Amber | None yet | The LEP",
        f"Video companionship #{video} | Ageing Society | Detailed discussions | Fri 6 Nov 2026"
        " | 2.6 | Not set | Council | The LEP",
    ]


def test_report_chart_data_tables_match_the_report(app, standalone, the_board):
    with app.test_request_context():
        report = reports.build(the_board.id, WEEK)
    tables = Tables(standalone)
    flow = tables.find("Data for figure 1")
    assert len(flow) == 12
    assert [row[0].split()[0] for row in flow] == [w["week"] for w in report["cumulative_flow"]]
    assert flow[-1][1:] == ["2", "0", "1", "0", "0", "0", "0", "0", "3"]
    assert flow[-2][1:] == ["2", "1", "0", "0", "0", "0", "0", "0", "3"]  # W44
    assert flow[-3][1:] == ["3", "0", "0", "0", "0", "0", "0", "0", "3"]  # W43
    durations = tables.find("Data for figure 2")
    for row, data in zip(durations, report["stage_durations"], strict=True):
        if data["initiatives"]:
            assert row == [
                data["stage"],
                str(data["initiatives"]),
                f"{data['mean_days']:.1f}",
                f"{data['max_days']:.1f}",
            ]
        else:
            assert row == [data["stage"], "0", "none", "none"]
    assert durations[2][:3] == ["Detailed discussions", "1", "2.6"]


def test_every_table_has_a_caption_and_scoped_headers(standalone):
    assert standalone.count("<table") == standalone.count("<caption") == 8
    for th in re.findall(r"<th\b[^>]*>", standalone):
        assert 'scope="col"' in th or 'scope="row"' in th, th


def test_rag_is_always_text(standalone):
    for badge in re.findall(r'<span class="rag rag-[a-z_]+">([^<]*)</span>', standalone):
        assert badge in {"Red", "Amber", "Green", "Not set"}


def test_charts_are_named_images_with_caption_legend_and_table(standalone):
    svgs = re.findall(r"<svg class=\"chart\"[^>]*>", standalone)
    assert len(svgs) == 2
    for svg, name in zip(svgs, ["report-flow-caption", "report-durations-caption"], strict=True):
        assert 'role="img"' in svg
        assert f'aria-labelledby="{name}"' in svg
        assert f'<figcaption id="{name}">' in standalone
    assert standalone.count('class="chart-legend"') == 2
    legend = re.search(r'<ul class="chart-legend"[^>]*>(.*?)</ul>', standalone, re.S)
    assert legend and text_of(legend[1]).startswith("Proposed Exploring Detailed discussions")


def test_standalone_document_embeds_its_css_allowed_by_hash_and_runs_nothing(standalone):
    style = re.search(r"<style>(.*?)</style>", standalone, re.S)
    assert style and "@page" in style[1] and "size: A4" in style[1]
    digest = base64.b64encode(hashlib.sha256(style[1].encode()).digest()).decode()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', standalone)
    assert policy and f"style-src 'sha256-{digest}'" in policy[1]
    assert "default-src 'none'" in policy[1]
    assert "<script" not in standalone
    assert " style=" not in standalone
    assert "<link" not in standalone
    assert 'href="/' not in standalone  # no links back into the app from a file on disk


def test_standalone_report_for_a_past_week_is_reproducible(app, history, the_board, users):
    with app.test_request_context():
        first = to_html(reports.build(the_board.id, WEEK))
    with at("2026-11-20T12:00:00"):
        board.edit(
            users["envoy"], history["video"], 3, {"rag": "red", "rag_reason": "Partner withdrew"}
        )
        db.session.commit()
    with app.test_request_context():
        assert to_html(reports.build(the_board.id, WEEK)) == first


def test_a_week_not_over_says_so(app, history, the_board):
    with at("2026-11-04T12:00:00"), app.test_request_context():
        html = to_html(reports.build(the_board.id, WEEK))
    assert "This week is not over yet." in text_of(html)
    assert "Wed 4 Nov 2026, 12:00" in text_of(html)


def test_empty_sections_say_so(app, the_board, users):
    with app.test_request_context():
        html = text_of(to_html(reports.build(the_board.id, "2026-W10")))
    assert "No stage moves, role claims or releases, RAG changes, new or archived" in html
    assert "No next step is overdue" in html
    assert "Every live initiative was updated" in html
    assert "There were no live initiatives" in html


def test_print_stylesheet_is_a4_without_navigation():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static/css/report.css").read_text()
    assert re.search(r"@page\s*{[^}]*size:\s*A4", css)
    print_rules = css[css.index("@media print") :]
    for hidden in (".site-header", ".breadcrumbs", ".reports-controls", ".report-contents"):
        assert hidden in print_rules.split("display: none")[0]
    assert "break-before: page" in print_rules
    assert "table-header-group" in print_rules


# --- chart geometry ------------------------------------------------------------------------


def _flow(*weeks: list[int], stages: tuple[str, ...] = ("A", "B", "C")) -> list[dict[str, Any]]:
    return [
        {
            "week": f"2026-W{10 + i:02d}",
            "week_ending": date(2026, 3, 8),
            "stages": [{"stage": s, "count": c} for s, c in zip(stages, counts, strict=True)],
        }
        for i, counts in enumerate(weeks)
    ]


@pytest.mark.parametrize(
    ("maximum", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (18, [0, 5, 10, 15, 20]),
        (100, [0, 20, 40, 60, 80, 100]),
        (82.6, [0, 20, 40, 60, 80, 100]),
        (0.4, [0, 0.1, 0.2, 0.3, 0.4]),
    ],
)
def test_nice_ticks_start_at_zero_and_cover_the_maximum(maximum, ticks):
    assert charts.nice_ticks(maximum) == ticks


def test_stack_bands_sit_on_each_other():
    stacked = charts.stack([[1, 0, 2], [3, 1, 0], [0, 2, 2]])
    assert stacked[0] == [(0, 1), (0, 0), (0, 2)]
    assert stacked[1] == [(1, 4), (0, 1), (2, 2)]
    assert stacked[2] == [(4, 4), (1, 3), (2, 4)]


def test_cumulative_flow_areas_never_cross_and_reach_the_totals():
    flow = _flow([1, 0, 0], [2, 1, 0], [0, 3, 1], [4, 0, 2], [0, 0, 0])
    chart = charts.cumulative_flow(flow)
    frame = chart["frame"]
    layers = chart["layers"]
    assert [layer["stage"] for layer in layers] == ["A", "B", "C"]
    # Read from the top: A over B over C; each band's base is the top of the band below it.
    for upper, lower in itertools.pairwise(layers):
        assert upper["base"] == lower["top"]
    assert all(y == frame.plot_bottom for _, y in layers[-1]["base"])
    for layer in layers:
        for (x1, top), (x2, base) in zip(layer["top"], layer["base"], strict=True):
            assert x1 == x2 and top <= base  # SVG y grows downwards
    assert chart["totals"] == [1, 3, 4, 6, 0]
    top_of_stack = [y for _, y in layers[0]["top"]]
    scale = frame.plot_height / chart["y_ticks"][-1]["value"]
    for total, y in zip(chart["totals"], top_of_stack, strict=True):
        assert y == pytest.approx(frame.plot_bottom - total * scale, abs=0.01)
    xs = [w["x"] for w in chart["weeks"]]
    assert xs[0] == frame.plot_left and xs[-1] == frame.plot_right
    assert xs == sorted(xs)
    # A band's polygon is its top edge left to right, then its base right to left.
    first = layers[0]["points"].split()
    assert len(first) == 2 * len(flow)


def test_cumulative_flow_of_an_empty_board_has_a_unit_axis():
    chart = charts.cumulative_flow(_flow([0, 0, 0], [0, 0, 0]))
    assert [t["value"] for t in chart["y_ticks"]] == [0, 1]
    assert all(
        y == chart["frame"].plot_bottom for layer in chart["layers"] for _, y in layer["top"]
    )


def test_duration_bars_are_proportional_with_the_longest_stay_marked():
    durations = [
        {"stage": "A", "initiatives": 3, "mean_days": 10.0, "max_days": 30.0},
        {"stage": "B", "initiatives": 1, "mean_days": 5.0, "max_days": 5.0},
        {"stage": "C", "initiatives": 0, "mean_days": 0.0, "max_days": 0.0},
        {"stage": "D", "initiatives": 2, "mean_days": 40.0, "max_days": 45.5},
    ]
    chart = charts.stage_durations(durations)
    frame = chart["frame"]
    rows = chart["rows"]
    per_day = rows[0]["width"] / 10.0
    for row in rows:
        assert row["x"] == frame.plot_left
        assert row["width"] == pytest.approx(row["mean_days"] * per_day, abs=0.02)
        assert row["max_x"] - frame.plot_left == pytest.approx(row["max_days"] * per_day, abs=0.02)
        assert row["max_x"] >= row["x"] + row["width"]
        assert row["max_x"] <= frame.plot_right
        assert row["label_x"] > row["max_x"]
    assert [t["value"] for t in chart["x_ticks"]] == [0, 10, 20, 30, 40, 50]
    # Bars are evenly spaced, in the order given, and do not overlap.
    middles = [row["middle"] for row in rows]
    assert middles == sorted(middles)
    for a, b in itertools.pairwise(rows):
        assert a["y"] + a["height"] < b["y"]


def _linear(colour: str) -> list[float]:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return [channel(int(colour[i : i + 2], 16)) for i in (1, 3, 5)]


def _luminance(colour: str) -> float:
    r, g, b = _linear(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _lab(colour: str) -> tuple[float, float, float]:
    r, g, b = _linear(colour)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_stage_colours_are_distinct_and_contrast_with_white():
    colours = charts.STAGE_COLOURS
    assert len(set(colours)) == len(colours) == 8
    for colour in (*colours, charts.BAR_COLOUR, charts.MARK_COLOUR):
        assert (1.05) / (_luminance(colour) + 0.05) >= 3, colour
    # Neighbouring bands differ clearly (CIE76 ΔE in Lab), not two near-identical blues.
    for a, b in itertools.pairwise(colours):
        assert math.dist(_lab(a), _lab(b)) > 25, (a, b)


# --- the reports page ----------------------------------------------------------------------


def page(client, board_id: int, week: str | None = None) -> Any:
    query = "" if week is None else f"?week={week}"
    return client.get(f"/boards/{board_id}/reports{query}")


def test_anonymous_visitor_is_sent_to_sign_in(client, the_board):
    response = page(client, the_board.id, WEEK)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["admin", "envoy", "member", "viewer"])
def test_every_role_reads_the_report_and_gets_download_links(
    client, auth, history, the_board, users, role
):
    auth.login(users[role])
    response = page(client, the_board.id, WEEK)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Week 45, 2026" in text_of(html)
    assert f'href="/boards/{the_board.id}"' in html  # back to the board
    # The report's rows are on the page, with links to the initiatives.
    assert f'href="/initiatives/{history["video"]}"' in html
    rows = Tables(html).find("Every stage move, role claim and release")
    assert len(rows) == 7
    for fmt in ("xlsx", "csv", "html", "json"):
        url = f"/api/v1/boards/{the_board.id}/reports/weekly?week={WEEK}&amp;format={fmt}"
        assert f'href="{url}"' in html
        assert f'download="weekly-status-board{the_board.id}-{WEEK}.{fmt}"' in html
        # The session cookie is enough for the API to hand the file over.
        download = client.get(url.replace("&amp;", "&"))
        assert download.status_code == 200, (fmt, download.get_data(as_text=True)[:200])
        assert f"{WEEK}.{fmt}" in download.headers.get("Content-Disposition", f"{WEEK}.json")


def test_page_defaults_to_this_week_in_london(client, auth, the_board, users):
    def this_week_at(moment: str) -> str:
        # Signed in at that moment too: a session cookie from the future is not accepted.
        with at(moment):
            auth.login(users["viewer"])
            return page(client, the_board.id).get_data(as_text=True)

    # Sunday 8 November 23:30 UTC is still Sunday in London (GMT): week 45.
    html = this_week_at("2026-11-08T23:30:00")
    assert 'value="2026-W45"' in html
    assert "Week 45, 2026" in text_of(html)
    assert "This week is not over yet." in text_of(html)
    assert 'rel="next"' not in html  # no link into a week that has not begun
    # Sunday 25 October 23:30 UTC is Sunday in London too, after the clocks went back.
    assert 'value="2026-W43"' in this_week_at("2026-10-25T23:30:00")
    # Sunday 18 October 23:30 UTC is already Monday 00:30 BST: week 43.
    assert 'value="2026-W43"' in this_week_at("2026-10-18T23:30:00")


@pytest.mark.time_machine(datetime(2026, 11, 26, 12, tzinfo=UTC), tick=False)
def test_week_picker_offers_a_week_input_with_text_fallback_and_neighbours(
    client, auth, the_board, users
):
    # The whole test runs on 26 November, signing in included.
    auth.login(users["member"])
    html = page(client, the_board.id, WEEK).get_data(as_text=True)
    field = re.search(r"<input type=\"week\"[^>]*>", html)
    assert field
    assert 'name="week"' in field[0] and 'value="2026-W45"' in field[0]
    assert 'pattern="[0-9]{4}-W[0-9]{2}"' in field[0]
    assert 'aria-describedby="week-hint"' in field[0]
    assert '<label for="week">' in html
    assert f'href="/boards/{the_board.id}/reports?week=2026-W44" rel="prev"' in html
    assert f'href="/boards/{the_board.id}/reports?week=2026-W46" rel="next"' in html


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("2026-48", "must be an ISO week such as 2026-W48"),
        ("2026-W54", "2026-W54 does not exist"),
        ("1999-W10", "must be a week of a year from 2000 to 2100"),
        ("", "Enter an ISO week, such as 2026-W48"),
        ("<script>", "must be an ISO week such as 2026-W48"),
    ],
)
@pytest.mark.time_machine(datetime(2026, 11, 26, 12, tzinfo=UTC), tick=False)
def test_invalid_week_is_a_message_on_the_page(client, auth, the_board, users, week, message):
    auth.login(users["envoy"])
    response = page(client, the_board.id, week)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is no report for that week" in html
    assert message in html
    assert 'aria-invalid="true"' in html
    assert 'role="alert"' in html
    assert "<script>" not in html.split("<main")[1].split('<script type="module"')[0]
    assert 'class="report"' not in html and "Download" not in html


def test_unknown_board_is_not_found(client, auth, the_board, users):
    auth.login(users["viewer"])
    response = page(client, the_board.id + 99, WEEK)
    assert response.status_code == 404
    assert "does not exist" in response.get_data(as_text=True)


def test_page_has_no_inline_script_or_style(client, auth, history, the_board, users):
    auth.login(users["envoy"])
    html = page(client, the_board.id, WEEK).get_data(as_text=True)
    for script in re.findall(r"<script\b[^>]*>", html):
        assert " src=" in script, script
    assert "<style" not in html
    assert " style=" not in html
    assert '/static/css/report.css"' in html
    assert '/static/js/reports.js"' in html
    # Progress for long generations is announced politely.
    assert 'id="download-status" role="status" aria-live="polite"' in html


def test_user_text_is_escaped_in_tables_and_charts(app, the_board, users):
    hostile = '<img src=x onerror="alert(1)"> & =HYPERLINK("x")'
    with at("2026-11-03T10:00:00"):
        board.propose(
            users["envoy"],
            the_board.id,
            {"title": hostile, "grand_challenge_id": the_board.grand_challenges[0].id},
        )
        db.session.commit()
    with app.test_request_context():
        html = to_html(reports.build(the_board.id, WEEK))
    assert "<img" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; =HYPERLINK(&#34;x&#34;)" in html
    rows = Tables(html).find("Every stage move, role claim and release")
    assert rows[0][1].startswith(hostile)


# --- where the figures come from ------------------------------------------------------------


def _provenance(html: str) -> str:
    found = re.search(r'<p class="report-provenance">(.*?)</p>', html, re.S)
    assert found
    return text_of(found[1])


def test_footnote_of_a_week_before_any_change_says_nothing_was_recorded(app, the_board, users):
    with app.test_request_context():
        html = to_html(reports.build(the_board.id, "2026-W10"))
    note = _provenance(html)
    assert "event 0" not in note and "change 0" not in note
    assert note == (
        "Nothing had been recorded on this board by the end of this week, so every figure is "
        "zero; the report for this week always says so."
    )


def test_footnote_names_how_many_changes_and_the_last_ones_time(app, history, the_board):
    with app.test_request_context():
        report = reports.build(the_board.id, WEEK)
        note = _provenance(to_html(report))
    # The week's last change is the archive on Sunday 8 November, 23:30.
    assert note == (
        f"Computed from the board’s history: its first {report['week']['last_seq']} recorded "
        "changes, the last on Sun 8 Nov 2026, 23:30. The report for this week says the same "
        "whenever it is produced."
    )


def test_footnote_of_a_running_week_says_later_changes_will_count(app, history, the_board):
    with at("2026-11-04T12:00:00"), app.test_request_context():
        note = _provenance(to_html(reports.build(the_board.id, WEEK)))
    assert note.startswith("Computed from the board’s history: its first ")
    assert note.endswith(
        "Changes made later this week will be in the report when it is produced again."
    )
    assert "says the same" not in note


@pytest.mark.time_machine(datetime(2026, 11, 30, 12, tzinfo=UTC), tick=False)
def test_a_week_that_has_not_begun_is_refused_everywhere(client, auth, runner, the_board, users):
    """A future week's report showed today's figures as that week's, as if it were running."""
    auth.login(users["viewer"])
    page = client.get(f"/boards/{the_board.id}/reports?week=2027-W10")
    assert page.status_code == 422
    assert "2027-W10 has not begun yet" in page.get_data(as_text=True)
    api = client.get(f"/api/v1/boards/{the_board.id}/reports/weekly?week=2027-W10&format=json")
    assert api.status_code == 422
    assert api.get_json()["error"]["fields"] == {"week": "2027-W10 has not begun yet"}
    cli = runner.invoke(
        args=[
            *("export-weekly", "--board", str(the_board.id), "--week", "2027-W10"),
            *("--format", "csv", "--output", "-"),
        ]
    )
    assert cli.exit_code == 2 and "has not begun yet" in cli.output
    # The running week is still served.
    assert client.get(f"/boards/{the_board.id}/reports?week=2026-W49").status_code == 200
