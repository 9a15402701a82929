"""Reports pages: pick a week, read the HTML report, download any format."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("reports", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
