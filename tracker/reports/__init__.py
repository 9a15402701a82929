"""The weekly status report: computed once from the event log, rendered many ways.

    service.py    what the entry points call: `produce` a format (cached, slot-limited), `build`
    weekly.py     the report, one function per section, from one pass over the event log
    shapes.py     what each section holds (typed rows) and the units of its values
    changes.py    the week's changes: which events are listed, and in what words
    week.py       an ISO week in London time
    replay.py     the board as it was: events applied one by one
    render.py     CSV, XLSX and JSON; html.py the HTML report; charts.py its SVG geometry
    cache.py      built files kept on disk; each user's concurrent builds bounded
    printable.py  the text rule every report and the as-of board apply
    views.py      the reports page

This module only makes the blueprint (`views` adds the page to it).
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("reports", __name__)


def init_app(app: Flask) -> None:
    # Imported here: `views` imports `bp` from this module.
    from tracker.reports import cache, views  # noqa: F401  (views registers the page on bp)

    cache.init_app(app)
    app.register_blueprint(bp)
