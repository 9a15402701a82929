"""Pages: sign-in, the board, the initiative view and its forms.

This module makes the blueprint and what every page shares (the time filter, template
globals, no caching); the routes live in `tracker.web.views`, by area. Views are thin: they
read the form, call the same domain operations as the API, commit and publish, and turn
domain errors into messages on the page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask
from flask_login import current_user

from tracker import mentions, notifications, policy
from tracker.board import EDITABLE_FIELDS
from tracker.vocabulary import FIELD_LABELS, RAG_LABELS
from tracker.web.forms import ActionForm

bp = Blueprint("web", __name__)


def init_web(app: Flask) -> None:
    """Register the blueprint (importing the views puts their routes on `bp` first) and what
    every page shares."""
    from tracker.web import views  # noqa: F401  (registers the routes)

    app.register_blueprint(bp)

    zone = ZoneInfo(app.config["DISPLAY_TIMEZONE"])

    @app.template_filter("local")
    def _local(value: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
        if value is None:
            return ""
        return value.astimezone(zone).strftime(fmt)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "rag_labels": RAG_LABELS,
            "policy": policy,
            "action_form": ActionForm(),
            # Called by the header only for a signed-in person: one count query.
            "unread_notifications": lambda: notifications.unread_count(current_user.id),
            # A progress note with its mentions as today's names, escaped.
            "mentions_html": mentions.rendered,
            # For the pages' scripts (read from a JSON element in base.html).
            "vocabulary": {
                "rag_labels": RAG_LABELS,
                "field_labels": FIELD_LABELS,
                "editable_fields": EDITABLE_FIELDS,
            },
        }

    @app.after_request
    def _no_store_for_pages(response: Any) -> Any:
        # Boards change under people's feet: never show a cached one after sign-out or Back.
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
