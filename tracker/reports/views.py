"""Reports pages: pick a week, read the HTML report, download any format.

The downloads point at the API endpoint (which takes the session cookie for GET), so a file
from the page is byte for byte what an integration or `tracker export-weekly` gets. Without
JavaScript the links simply download; `static/js/reports.js` fetches instead, to show that a
file is being generated.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from markupsafe import Markup

from tracker import board, policy
from tracker.accounts import actor
from tracker.board import filter_words
from tracker.errors import Invalid
from tracker.models import utcnow
from tracker.reports import bp
from tracker.reports.service import PAGE, file_name, produce
from tracker.reports.week import LONDON, Week
from tracker.web.outcomes import filter_in_url

# (format, what a person calls it, what it holds), in the order the page offers them.
DOWNLOADS = (
    ("xlsx", "Excel workbook (XLSX)", "one sheet per section, real dates and numbers"),
    ("csv", "CSV", "one file for Excel, each section under its own header row"),
    ("html", "Printable report (HTML)", "this report with its charts, to keep or print"),
    ("json", "JSON", "for integrations; described in the API document"),
)


def current_week() -> Week:
    """The ISO week it is now in London."""
    return Week.containing(utcnow().astimezone(LONDON).date())


@bp.route("/boards/<int:board_id>/reports")
@login_required
def weekly_page(board_id: int) -> ResponseReturnValue:
    """The weekly status report for `?week=2026-W48` (default: this week, London time),
    narrowed by the board page's filters when the URL has them. A week that is not one comes
    back as the form with its reason, 422; a filter that cannot be used is said, and the
    report is for the whole board."""
    policy.require(policy.may(actor(), "export"), "Your account cannot read reports.")
    the_board = board.get_board(board_id)
    this_week = current_week()
    text = request.args.get("week")
    rule = filter_in_url(the_board, "The report is for the whole board.")
    context: dict[str, Any] = {
        "board": the_board,
        "this_week": this_week,
        "week_text": text,
        "rule": rule,
        "filter_choices": filter_words.choices(the_board),
        "my_organisation_id": actor().organisation_id,
        "filter_action": url_for("reports.weekly_page", board_id=board_id),
        "filter_keep": {"week": text.strip()} if text and text.strip() else {},
    }
    try:
        week = this_week if text is None else Week.parse(text.strip())
        # The report itself comes from the cache, or is built within the user's build slots.
        produced = produce(board_id, str(week), PAGE, builder=actor().id, rule=rule)
    except Invalid as error:
        context["week_error"] = error.fields.get("week", error.message)
        if not text or not text.strip():
            context["week_error"] = "Enter an ISO week, such as 2026-W48"
        return render_template("reports/page.html", **context), 422
    query = rule.as_query()

    def week_url(shown: Week | None) -> str:
        # A week link keeps the filter; this week is the page without `week`.
        if shown is None:
            return url_for("reports.weekly_page", board_id=board_id, **query)
        return url_for("reports.weekly_page", board_id=board_id, week=str(shown), **query)

    context.update(
        report_html=Markup(produced.body.decode("utf-8")),
        week=week,
        week_text=str(week),
        filter_keep={"week": str(week)},
        previous_url=week_url(week.shifted(-1)),
        this_week_url=week_url(None),
        next_url=week_url(week.shifted(1)),
        previous_week=week.shifted(-1),
        next_week=week.shifted(1),
        # No link into the future: a week after this one has nothing to report yet.
        show_next=week.shifted(1).start <= this_week.start,
        downloads=[
            {
                "format": fmt,
                "label": label,
                "hint": hint,
                "filename": file_name(board_id, week, fmt, filtered=rule.active),
                "url": url_for(
                    "api.weekly_report", board_id=board_id, week=str(week), format=fmt, **query
                ),
            }
            for fmt, label, hint in DOWNLOADS
        ],
    )
    return render_template("reports/page.html", **context)
