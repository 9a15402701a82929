"""Bad input on every unsafe API endpoint: a clear error naming the field, and nothing written.

Each case starts from a valid request (as an envoy, who may do everything, so permission is
never the reason) and breaks one thing. The answer is 400, 404 or 422 with
`{"error": {"code", "message", "fields"}}`, `fields` names what was wrong, and every table is
exactly as before: no event, no sequence number used, the initiative's version unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.api.test_permissions import World, assert_error_shape, make_world, table_rows
from tests.conftest import AuthActions, last_seq
from tracker.extensions import db
from tracker.models import Board, User


@pytest.fixture
def world(the_board: Board, users: dict[str, User]) -> World:
    return make_world(the_board, users)


@dataclass
class Other:
    """Ids that exist, but on another board, or that are unusable."""

    stage: int
    challenge: int
    role_type: int
    inactive_organisation: int


@pytest.fixture
def other(app: Flask, world: World) -> Other:
    other_board = factories.make_board("Another programme")
    inactive = factories.make_organisation("Defunct Ltd", active=False)
    db.session.commit()
    return Other(
        stage=other_board.stages[0].id,
        challenge=other_board.grand_challenges[0].id,
        role_type=other_board.role_types[0].id,
        inactive_organisation=inactive.id,
    )


@dataclass
class Raw:
    """A body sent as these bytes, not as JSON."""

    data: str
    content_type: str = "application/json"


Body = Callable[[World, Other], Any]


def _url(endpoint: str, w: World) -> tuple[str, str]:
    return {
        "propose": ("POST", f"/api/v1/boards/{w.board.id}/initiatives"),
        "edit": ("PATCH", f"/api/v1/initiatives/{w.foreign}"),
        "move": ("POST", f"/api/v1/initiatives/{w.foreign}/move"),
        "archive": ("POST", f"/api/v1/initiatives/{w.foreign}/archive"),
        "claim": ("POST", f"/api/v1/initiatives/{w.foreign}/claims"),
        "release": ("DELETE", f"/api/v1/claims/{w.lep_claim}"),
        "comment": ("POST", f"/api/v1/initiatives/{w.foreign}/comments"),
    }[endpoint]


VALID: dict[str, Callable[[World], dict[str, Any]]] = {
    "propose": lambda w: {"title": "Smart streetlights", "grand_challenge_id": w.challenge},
    "edit": lambda w: {"version": w.version(w.foreign), "summary": "A new summary"},
    "move": lambda w: {"stage_id": w.stage, "position": 0, "version": w.version(w.foreign)},
    "archive": lambda w: {"version": w.version(w.foreign)},
    "claim": lambda w: {"role_type_id": w.lead, "organisation_id": w.police},
    "comment": lambda w: {"body": "Met the CTOs today."},
}


def drop(name: str) -> Callable[[dict[str, Any], World, Other], Any]:
    def change(body: dict[str, Any], w: World, o: Other) -> Any:
        body.pop(name)
        return body

    return change


def put(**values: Any) -> Callable[[dict[str, Any], World, Other], Any]:
    """Set fields; a value may be a function of (world, other) for ids made by the fixtures."""

    def change(body: dict[str, Any], w: World, o: Other) -> Any:
        for name, value in values.items():
            body[name] = value(w, o) if callable(value) else value
        return body

    return change


def whole(value: Any) -> Callable[[dict[str, Any], World, Other], Any]:
    """Replace the whole body (a `Raw`, a JSON array, `None` for no body at all)."""
    return lambda body, w, o: value


CASES: list[Any] = []


def case(endpoint: str, name: str, change: Any, status: int, field: str) -> None:
    CASES.append(pytest.param(endpoint, change, status, field, id=f"{endpoint}-{name}"))


NOT_JSON = Raw('{"title": "unterminated')
# Every endpoint with a body: malformed JSON, an empty body, no body, a JSON array, and a form.
for endpoint, first_required in [
    ("propose", "title"),
    ("edit", "version"),
    ("move", "stage_id"),
    ("archive", "version"),
    ("claim", "role_type_id"),
    ("comment", "body"),
]:
    case(endpoint, "not-json", whole(NOT_JSON), 400, "body")
    case(endpoint, "empty-body", whole(Raw("")), 422, first_required)
    case(endpoint, "no-body", whole(None), 422, first_required)
    case(endpoint, "empty-object", whole({}), 422, first_required)
    case(endpoint, "json-array", whole([1, 2]), 422, "body")
    case(endpoint, "json-string", whole("hello"), 422, "body")
    case(endpoint, "form-encoded", whole(Raw("a=1", "application/x-www-form-urlencoded")), 422,
         first_required)  # fmt: skip

# propose
case("propose", "missing-title", drop("title"), 422, "title")
case("propose", "missing-grand-challenge", drop("grand_challenge_id"), 422, "grand_challenge_id")
case("propose", "title-int", put(title=5), 422, "title")
case("propose", "title-null", put(title=None), 422, "title")
case("propose", "title-empty", put(title=""), 422, "title")
case("propose", "title-blank", put(title="   "), 422, "title")
case("propose", "title-121-chars", put(title="t" * 121), 422, "title")
case("propose", "summary-2001-chars", put(summary="s" * 2001), 422, "summary")
case("propose", "next-step-281-chars", put(next_step="n" * 281), 422, "next_step")
case("propose", "barriers-2001-chars", put(barriers="b" * 2001), 422, "barriers")
case("propose", "rag-reason-501-chars", put(rag="red", rag_reason="r" * 501), 422, "rag_reason")
case("propose", "grand-challenge-string", put(grand_challenge_id="1"), 422, "grand_challenge_id")
case("propose", "grand-challenge-bool", put(grand_challenge_id=True), 422, "grand_challenge_id")
case("propose", "grand-challenge-float", put(grand_challenge_id=1.5), 422, "grand_challenge_id")
case("propose", "grand-challenge-zero", put(grand_challenge_id=0), 422, "grand_challenge_id")
case("propose", "grand-challenge-huge", put(grand_challenge_id=2**63), 422, "grand_challenge_id")
case("propose", "grand-challenge-of-another-board",
     put(grand_challenge_id=lambda w, o: o.challenge), 422, "grand_challenge_id")  # fmt: skip
case("propose", "stage-of-another-board", put(stage_id=lambda w, o: o.stage), 422, "stage_id")
case("propose", "stage-unknown", put(stage_id=999_999), 422, "stage_id")
case("propose", "organisation-unknown", put(proposing_organisation_id=999_999), 422,
     "proposing_organisation_id")  # fmt: skip
case("propose", "organisation-deactivated",
     put(proposing_organisation_id=lambda w, o: o.inactive_organisation), 422,
     "proposing_organisation_id")  # fmt: skip
case("propose", "rag-unknown", put(rag="purple"), 422, "rag")
case("propose", "rag-without-reason", put(rag="amber"), 422, "rag_reason")
case("propose", "due-date-not-a-date", put(next_step_due="next Tuesday"), 422, "next_step_due")
case("propose", "unknown-field", put(owner="me"), 422, "owner")
case("propose", "version-is-not-settable", put(version=7), 422, "version")

# edit
case("edit", "missing-version", drop("version"), 422, "version")
case("edit", "version-string", put(version="1"), 422, "version")
case("edit", "version-bool", put(version=True), 422, "version")
case("edit", "version-zero", put(version=0), 422, "version")
case("edit", "version-negative", put(version=-1), 422, "version")
case("edit", "title-empty", put(title=""), 422, "title")
case("edit", "title-blank", put(title="  "), 422, "title")
case("edit", "title-int", put(title=5), 422, "title")
case("edit", "title-null", put(title=None), 422, "title")
case("edit", "title-121-chars", put(title="t" * 121), 422, "title")
case("edit", "summary-2001-chars", put(summary="s" * 2001), 422, "summary")
case("edit", "summary-int", put(summary=12), 422, "summary")
case("edit", "next-step-281-chars", put(next_step="n" * 281), 422, "next_step")
case("edit", "rag-change-without-reason", put(rag="red"), 422, "rag_reason")
case("edit", "rag-change-with-empty-reason", put(rag="green", rag_reason=""), 422, "rag_reason")
case("edit", "rag-change-with-blank-reason", put(rag="green", rag_reason="   "), 422, "rag_reason")
case("edit", "rag-unknown", put(rag="RED", rag_reason="because"), 422, "rag")
case("edit", "grand-challenge-of-another-board", put(grand_challenge_id=lambda w, o: o.challenge),
     422, "grand_challenge_id")  # fmt: skip
case("edit", "stage-is-not-editable", put(stage_id=lambda w, o: w.stage), 422, "stage_id")
case("edit", "position-is-not-editable", put(position=0), 422, "position")
case("edit", "archived-is-not-editable", put(archived=True), 422, "archived")
case("edit", "organisation-is-not-editable", put(proposing_organisation_id=lambda w, o: w.bre),
     422, "proposing_organisation_id")  # fmt: skip
case("edit", "due-date-not-a-date", put(next_step_due="31/12/2026"), 422, "next_step_due")

# move
case("move", "missing-stage", drop("stage_id"), 422, "stage_id")
case("move", "missing-position", drop("position"), 422, "position")
case("move", "missing-version", drop("version"), 422, "version")
case("move", "stage-of-another-board", put(stage_id=lambda w, o: o.stage), 422, "stage_id")
case("move", "stage-unknown", put(stage_id=999_999), 422, "stage_id")
case("move", "stage-string", put(stage_id="2"), 422, "stage_id")
case("move", "stage-bool", put(stage_id=True), 422, "stage_id")
case("move", "position-negative", put(position=-1), 422, "position")
case("move", "position-string", put(position="0"), 422, "position")
case("move", "position-bool", put(position=False), 422, "position")
case("move", "position-float", put(position=0.5), 422, "position")
case("move", "position-null", put(position=None), 422, "position")
case("move", "version-string", put(version="1"), 422, "version")
case("move", "grand-challenge-of-another-board", put(grand_challenge_id=lambda w, o: o.challenge),
     422, "grand_challenge_id")  # fmt: skip

# archive
case("archive", "missing-version", drop("version"), 422, "version")
case("archive", "version-string", put(version="1"), 422, "version")
case("archive", "archived-string", put(archived="yes"), 422, "archived")
case("archive", "archived-int", put(archived=1), 422, "archived")
case("archive", "archived-null", put(archived=None), 422, "archived")

# claim
case("claim", "missing-role-type", drop("role_type_id"), 422, "role_type_id")
case("claim", "role-type-string", put(role_type_id="1"), 422, "role_type_id")
case("claim", "role-type-bool", put(role_type_id=True), 422, "role_type_id")
case("claim", "role-type-of-another-board", put(role_type_id=lambda w, o: o.role_type), 422,
     "role_type_id")  # fmt: skip
case("claim", "role-type-unknown", put(role_type_id=999_999), 422, "role_type_id")
case("claim", "organisation-unknown", put(organisation_id=999_999), 422, "organisation_id")
case("claim", "organisation-string", put(organisation_id="Police"), 422, "organisation_id")
case("claim", "organisation-bool", put(organisation_id=True), 422, "organisation_id")
case("claim", "organisation-deactivated",
     put(organisation_id=lambda w, o: o.inactive_organisation), 422, "organisation_id")  # fmt: skip

# comment
case("comment", "missing-body", drop("body"), 422, "body")
case("comment", "body-int", put(body=5), 422, "body")
case("comment", "body-null", put(body=None), 422, "body")
case("comment", "body-empty", put(body=""), 422, "body")
case("comment", "body-blank", put(body=" \n "), 422, "body")
case("comment", "body-5001-chars", put(body="c" * 5001), 422, "body")
case("comment", "unknown-field", put(author="someone"), 422, "author")

ERROR_CODES = {400: {"bad_request", "invalid"}, 404: {"not_found"}, 422: {"invalid"}}


def _send(client: FlaskClient, method: str, url: str, body: Any, headers: dict[str, str]) -> Any:
    if isinstance(body, Raw):
        return client.open(
            url, method=method, data=body.data, content_type=body.content_type, headers=headers
        )
    if body is None:
        return client.open(url, method=method, headers=headers)
    return client.open(url, method=method, json=body, headers=headers)


def _assert_refused_and_unchanged(
    response: Any, status: int, field: str, w: World, before: dict[str, Any]
) -> None:
    error = assert_error_shape(response, status)
    assert error["code"] in ERROR_CODES[status]
    assert field in error["fields"], error
    assert error["fields"][field]
    assert table_rows() == before["rows"]
    assert last_seq(w.board.id) == before["seq"]
    assert w.version(w.foreign) == before["version"]


def _state(w: World) -> dict[str, Any]:
    return {"rows": table_rows(), "seq": last_seq(w.board.id), "version": w.version(w.foreign)}


@pytest.fixture
def envoy(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens['envoy']}"}


@pytest.mark.parametrize(("endpoint", "change", "status", "field"), CASES)
def test_api_refuses_bad_input_and_writes_nothing(
    client: FlaskClient,
    world: World,
    other: Other,
    envoy: dict[str, str],
    endpoint: str,
    change: Any,
    status: int,
    field: str,
) -> None:
    method, url = _url(endpoint, world)
    body = change(VALID[endpoint](world), world, other)
    before = _state(world)

    response = _send(client, method, url, body, envoy)

    _assert_refused_and_unchanged(response, status, field, world, before)


@pytest.mark.parametrize("endpoint", sorted(VALID))
def test_api_valid_request_of_each_bad_input_case_succeeds(
    client: FlaskClient, world: World, envoy: dict[str, str], endpoint: str
) -> None:
    """The starting point of every bad-input case is itself accepted: the cases above fail
    for the one thing they break."""
    method, url = _url(endpoint, world)
    seq = last_seq(world.board.id)
    response = _send(client, method, url, VALID[endpoint](world), envoy)
    assert response.status_code in (200, 201), response.get_json()
    assert last_seq(world.board.id) == seq + 1


UNKNOWN_PATHS = [
    ("POST", "/api/v1/boards/999999/initiatives", "propose", "board_id"),
    ("POST", "/api/v1/boards/0/initiatives", "propose", "board_id"),
    ("PATCH", "/api/v1/initiatives/999999", "edit", "initiative_id"),
    ("PATCH", "/api/v1/initiatives/0", "edit", "initiative_id"),
    ("PATCH", "/api/v1/initiatives/99999999999999999999", "edit", "initiative_id"),
    ("POST", "/api/v1/initiatives/999999/move", "move", "initiative_id"),
    ("POST", "/api/v1/initiatives/999999/archive", "archive", "initiative_id"),
    ("POST", "/api/v1/initiatives/999999/claims", "claim", "initiative_id"),
    ("POST", "/api/v1/initiatives/999999/comments", "comment", "initiative_id"),
    ("DELETE", "/api/v1/claims/999999", None, "claim_id"),
    ("DELETE", "/api/v1/claims/0", None, "claim_id"),
]


@pytest.mark.parametrize(
    ("method", "url", "endpoint", "field"),
    UNKNOWN_PATHS,
    ids=[f"{m} {u}" for m, u, _, _ in UNKNOWN_PATHS],
)
def test_api_unknown_path_id_is_404_and_writes_nothing(
    client: FlaskClient,
    world: World,
    envoy: dict[str, str],
    method: str,
    url: str,
    endpoint: str | None,
    field: str,
) -> None:
    body = VALID[endpoint](world) if endpoint else None
    before = _state(world)
    response = _send(client, method, url, body, envoy)
    _assert_refused_and_unchanged(response, 404, field, world, before)


@pytest.mark.parametrize(
    "url",
    ["/api/v1/initiatives/-1", "/api/v1/initiatives/abc", "/api/v1/initiatives/1.5"],
    ids=["negative", "word", "decimal"],
)
def test_api_malformed_path_id_is_404_with_the_error_shape(
    client: FlaskClient, world: World, envoy: dict[str, str], url: str
) -> None:
    before = _state(world)
    response = client.patch(url, json=VALID["edit"](world), headers=envoy)
    assert assert_error_shape(response, 404)["code"] == "not_found"
    assert table_rows() == before["rows"]


def test_api_archived_initiative_cannot_be_moved(
    client: FlaskClient, world: World, envoy: dict[str, str]
) -> None:
    archived = client.post(
        f"/api/v1/initiatives/{world.foreign}/archive",
        json={"version": world.version(world.foreign)},
        headers=envoy,
    )
    assert archived.status_code == 200
    before = _state(world)
    response = client.post(
        f"/api/v1/initiatives/{world.foreign}/move", json=VALID["move"](world), headers=envoy
    )
    _assert_refused_and_unchanged(response, 422, "initiative_id", world, before)


@pytest.mark.parametrize(
    ("field", "limit"),
    [("title", 120), ("summary", 2000), ("next_step", 280), ("barriers", 2000)],
)
def test_api_accepts_fields_at_their_length_limit(
    client: FlaskClient, world: World, envoy: dict[str, str], field: str, limit: int
) -> None:
    body = {**VALID["propose"](world), field: "x" * limit}
    response = client.post(f"/api/v1/boards/{world.board.id}/initiatives", json=body, headers=envoy)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()[field] == "x" * limit


def test_api_accepts_a_comment_at_its_length_limit(
    client: FlaskClient, world: World, envoy: dict[str, str]
) -> None:
    response = client.post(
        f"/api/v1/initiatives/{world.foreign}/comments", json={"body": "c" * 5000}, headers=envoy
    )
    assert response.status_code == 201
    assert response.get_json()["body"] == "c" * 5000


def test_api_rag_change_with_a_reason_is_accepted(
    client: FlaskClient, world: World, envoy: dict[str, str]
) -> None:
    version = world.version(world.foreign)
    response = client.patch(
        f"/api/v1/initiatives/{world.foreign}",
        json={"version": version, "rag": "red", "rag_reason": "No funder yet"},
        headers=envoy,
    )
    assert response.status_code == 200
    assert response.get_json()["rag"] == "red"
    assert response.get_json()["rag_reason"] == "No funder yet"
    assert world.version(world.foreign) == version + 1


# --- markup in text fields ----------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_markup_is_stored_as_typed_and_rendered_escaped(
    client: FlaskClient, auth: AuthActions, world: World, envoy: dict[str, str]
) -> None:
    created = client.post(
        f"/api/v1/boards/{world.board.id}/initiatives",
        json={
            "title": SCRIPT,
            "summary": f"Summary {SCRIPT}",
            "next_step": f"Next {SCRIPT}",
            "grand_challenge_id": world.challenge,
        },
        headers=envoy,
    )
    assert created.status_code == 201
    initiative = created.get_json()
    assert initiative["title"] == SCRIPT
    comment = client.post(
        f"/api/v1/initiatives/{initiative['id']}/comments",
        json={"body": f"Comment {SCRIPT}"},
        headers=envoy,
    )
    assert comment.status_code == 201
    assert comment.get_json()["body"] == f"Comment {SCRIPT}"
    fetched = client.get(f"/api/v1/initiatives/{initiative['id']}", headers=envoy).get_json()
    assert fetched["title"] == SCRIPT
    assert fetched["summary"] == f"Summary {SCRIPT}"
    assert fetched["comments"][0]["body"] == f"Comment {SCRIPT}"

    auth.login(world.users["viewer"])
    for page_url in (f"/boards/{world.board.id}", f"/initiatives/{initiative['id']}"):
        page = client.get(page_url)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert SCRIPT not in html, page_url
        assert ESCAPED in html, page_url
    detail = client.get(f"/initiatives/{initiative['id']}").get_data(as_text=True)
    assert f"Summary {ESCAPED}" in detail
    assert f"Comment {ESCAPED}" in detail


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/api/v1/nothing-here", 404),
        ("PUT", "/api/v1/initiatives/1", 405),
        ("DELETE", "/api/v1/boards/1", 405),
    ],
)
def test_api_unknown_route_or_method_answers_with_the_error_shape(
    client: FlaskClient, world: World, envoy: dict[str, str], method: str, url: str, status: int
) -> None:
    before = _state(world)
    response = client.open(url, method=method, json={}, headers=envoy)
    assert response.is_json
    assert_error_shape(response, status)
    assert table_rows() == before["rows"]
