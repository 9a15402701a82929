"""The JSON API under /api/v1 and its generated OpenAPI document: this module makes the
blueprint; `auth` says who calls, `views` holds the routes (`notification_views` those of
notifications, watching and following; `matching_views` those of roles wanted, requests
and interests), `schemas` and `report_schemas` the shapes."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api, Blueprint
from werkzeug.exceptions import HTTPException

from tracker import errors, limits
from tracker.api.schemas import ErrorSchema, InitiativeSchema
from tracker.errors import API_PREFIX
from tracker.extensions import csrf

bp = Blueprint(
    "api",
    __name__,
    url_prefix=API_PREFIX,
    description="Initiatives, roles, comments and the event log of a board.",
)
# Reads JSON bodies with tracker.limits.loads: too deep or unreadable is a 400.
bp.ARGUMENTS_PARSER = limits.ArgumentsParser()


class TrackerApi(Api):
    """flask-smorest's Api; every HTTP error it sees is answered by `tracker.errors`."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException) -> Any:
        return errors.answer_http_error(error)


api = TrackerApi()


def init_api(app: Flask, blueprint: Blueprint) -> None:
    """Register the API (importing `auth` and `views` puts them on the blueprint) and its
    OpenAPI document."""
    from tracker.api import (  # noqa: F401  (registers them)
        auth,
        matching_views,
        notification_views,
        views,
    )

    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session"},
                }
            },
            "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        },
    )
    api.init_app(app)
    api.register_blueprint(blueprint)
    csrf.exempt(blueprint)  # checked in auth.authenticate, only for cookie-authenticated calls
    errors.init_app(app, current_as_json=InitiativeSchema().dump)
