"""The printable HTML report (placeholder until the charts land)."""

from __future__ import annotations

from typing import Any

from flask import render_template


def to_html(report: dict[str, Any]) -> str:
    return render_template("reports/weekly.html", report=report, standalone=True)
