"""What a request may carry in its query string: every GET route (pages and API), with every
query parameter the tracker reads, at values no form would send (dates at the ends of the
calendar, numbers of 5,000 digits, negative or superscript digits), answers with a page or
the error shape, never a 500.

The parameter names are read from the code (`request.args…`, the forms built from the query
string, the API's query schemas), so a new one is walked without editing this test."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.test_permissions import World, make_world
from tests.conftest import AuthActions
from tracker.admin.forms import AuditFilterForm
from tracker.api.report_schemas import ReportQuerySchema
from tracker.api.schemas import BoardFilterSchema, EventsQuerySchema
from tracker.models import Board, User

TRACKER = Path(__file__).resolve().parents[2] / "tracker"
HOSTILE = {
    "last day of the calendar": "9999-12-31",
    "year 1": "0001-01-01",
    "5000 digits": "9" * 5000,
    "2**63": str(2**63),
    "negative": "-1",
    "superscript two": "²",
}
_VARIABLE = re.compile(r"<(?:(\w+)(?:\((.*?)\))?:)?(\w+)>")


def query_parameters() -> set[str]:
    read = set()
    for source in TRACKER.rglob("*.py"):
        read |= set(re.findall(r"request\.args(?:\.get\(|\[)\"(\w+)\"", source.read_text()))
    read |= {name for name in AuditFilterForm.__dict__ if not name.startswith("_")} & {
        "action",
        "actor",
        "target",
        "q",
        "since",
        "until",
    }
    read |= set(EventsQuerySchema().fields) | set(ReportQuerySchema().fields)
    read |= set(BoardFilterSchema().fields)
    return read


def test_the_walk_knows_the_query_parameters_the_code_reads() -> None:
    assert query_parameters() >= {"as_of", "stage_id", "page", "week", "since", "until", "next"}
    assert query_parameters() >= {"find", "q", "organisation_id", "wanted", "due", "archived"}


@pytest.fixture
def world(the_board: Board, users: dict[str, User]) -> World:
    return make_world(the_board, users)


def _get_rules(app: Flask) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        url = _VARIABLE.sub(
            lambda m: m.group(2).split(",")[0].strip() if m.group(1) == "any" else "1", rule.rule
        )
        urls.append(url)
    return urls


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_every_get_route_survives_every_query_parameter_at_hostile_values(
    app: Flask, client: FlaskClient, world: World, value: str
) -> None:
    """`/boards/1?as_of=9999-12-31` and `/admin/audit?until=9999-12-31` were 500s
    (OverflowError), `?stage_id=` and `?page=` of 5,000 digits too (ValueError)."""
    AuthActions(client).login(world.users["admin"])
    names = sorted(query_parameters())
    urls = _get_rules(app)
    assert len(urls) >= 20
    problems: list[str] = []
    for url in urls:
        if url.startswith("/socket.io") or url in ("/logout",):
            continue
        for name in names:
            try:
                response: Any = client.get(url, query_string={name: value})
            except Exception as error:  # what a 500 is in the test client
                problems.append(f"{url}?{name}=…: {error!r}")
                continue
            if response.status_code >= 500:
                problems.append(f"{url}?{name}=…: {response.status_code}")
    assert problems == []


def test_as_of_outside_the_calendar_the_tracker_serves_is_a_message(client, world) -> None:
    AuthActions(client).login(world.users["viewer"])
    response = client.get(f"/boards/{world.board.id}", query_string={"as_of": "9999-12-31"})
    assert response.status_code == 422
    assert "must be a date from 2000 to 2100" in response.get_data(as_text=True)


@pytest.mark.parametrize("due", ["0001-01-01", "0999-12-31", "9999-12-31", "2101-01-01"])
def test_a_due_date_outside_the_years_served_is_refused_naming_the_field(
    client, world, due
) -> None:
    """A due date in year 1 was stored, shown as "1-01-01" by the date input (which then lost
    it on the next save) and reported as 739,949 days overdue."""
    headers = {"Authorization": f"Bearer {world.tokens['envoy']}"}
    initiative = client.get(f"/api/v1/initiatives/{world.proposed}", headers=headers).get_json()
    response = client.patch(
        f"/api/v1/initiatives/{world.proposed}",
        json={"version": initiative["version"], "next_step_due": due},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "next_step_due": "must be a date from 2000 to 2100"
    }
