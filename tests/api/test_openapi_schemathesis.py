"""The API against its own OpenAPI document, property-based (schemathesis).

schemathesis generates requests for every operation in `/api/v1/openapi.json`: valid ones
(positive) and ones that break the document (negative). Whatever it sends, an envoy's request
must never get a 5xx, and every answer must match what the document says: a documented status,
a documented content type, and a body that fits the documented schema (errors included).

We drive schemathesis's Hypothesis strategies ourselves rather than through
`schemathesis.pytest.from_fixture`: that loader sets `Function._nodeid`, which pytest 9 no
longer has, and one pytest test per operation also gives each operation its own database.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import factories
from tracker.board import matching
from tracker.extensions import db
from tracker.models import Board, Initiative, User

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]

# Every operation the document must describe. Listed by hand so that an operation dropped from
# the document (or added without being fuzzed here) fails `test_openapi_lists_every_operation`.
OPERATIONS = [
    ("GET", "/api/v1/organisations"),
    ("GET", "/api/v1/boards"),
    ("GET", "/api/v1/boards/{board_id}"),
    ("POST", "/api/v1/boards/{board_id}/initiatives"),
    ("GET", "/api/v1/initiatives/{initiative_id}"),
    ("PATCH", "/api/v1/initiatives/{initiative_id}"),
    ("POST", "/api/v1/initiatives/{initiative_id}/move"),
    ("POST", "/api/v1/initiatives/{initiative_id}/archive"),
    ("POST", "/api/v1/initiatives/{initiative_id}/restore"),
    ("POST", "/api/v1/initiatives/{initiative_id}/claims"),
    ("DELETE", "/api/v1/claims/{claim_id}"),
    ("POST", "/api/v1/initiatives/{initiative_id}/comments"),
    ("GET", "/api/v1/boards/{board_id}/events"),
    ("GET", "/api/v1/boards/{board_id}/reports/weekly"),
    ("GET", "/api/v1/mentionable"),
    ("GET", "/api/v1/notifications"),
    ("POST", "/api/v1/notifications/{notification_id}/read"),
    ("POST", "/api/v1/notifications/read"),
    ("PUT", "/api/v1/initiatives/{initiative_id}/watch"),
    ("GET", "/api/v1/boards/{board_id}/follows"),
    ("POST", "/api/v1/boards/{board_id}/follows"),
    ("DELETE", "/api/v1/follows/{follow_id}"),
    ("GET", "/api/v1/initiatives/{initiative_id}/matching"),
    ("PUT", "/api/v1/initiatives/{initiative_id}/wanted/{role_type_id}"),
    ("DELETE", "/api/v1/initiatives/{initiative_id}/wanted/{role_type_id}"),
    ("POST", "/api/v1/initiatives/{initiative_id}/requests"),
    ("POST", "/api/v1/requests/{request_id}/approve"),
    ("POST", "/api/v1/requests/{request_id}/decline"),
    ("POST", "/api/v1/requests/{request_id}/withdraw"),
    ("POST", "/api/v1/initiatives/{initiative_id}/interests"),
    ("POST", "/api/v1/interests/{interest_id}/invite"),
    ("POST", "/api/v1/interests/{interest_id}/accept"),
    ("POST", "/api/v1/interests/{interest_id}/decline"),
    ("POST", "/api/v1/interests/{interest_id}/close"),
]

# Bounded and repeatable: the same requests on every run, well under a minute in all.
EXAMPLES = settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def api_schema(app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def envoy_headers(users: dict[str, User]) -> dict[str, str]:
    return {"Authorization": f"Bearer {factories.make_token(users['envoy'])}"}


class Realistic:
    """Real ids, so that generated requests also reach the success paths (a random
    `grand_challenge_id` is almost never one of the board's)."""

    def __init__(self, the_board: Board, users: dict[str, User]) -> None:
        envoy, member = users["envoy"], users["member"]
        self.initiative = factories.make_initiative(the_board, envoy)
        claims = [
            factories.board.claim(envoy, self.initiative.id, rt.id, member.organisation_id).value
            for rt in the_board.role_types[:4]
        ]
        funder = next(r.id for r in the_board.role_types if r.name == "Funder")
        other = factories.make_organisation("BRE Group")
        db.session.commit()
        asked = matching.request_role(
            envoy, self.initiative.id, funder, envoy.organisation_id, "We fund pilots."
        ).value
        interest = matching.register_interest(envoy, self.initiative.id, other.id, "Us too").value
        db.session.commit()
        self.path = {
            "board_id": the_board.id,
            "initiative_id": self.initiative.id,
            "claim_id": [c.id for c in claims],
            "role_type_id": [r.id for r in the_board.role_types],
            "request_id": asked.id,
            "interest_id": interest.id,
        }
        self.body = {
            "grand_challenge_id": [g.id for g in the_board.grand_challenges],
            "stage_id": [s.id for s in the_board.stages],
            "role_type_id": [r.id for r in the_board.role_types],
            "organisation_id": [envoy.organisation_id, member.organisation_id],
            "proposing_organisation_id": [envoy.organisation_id, member.organisation_id],
        }

    def version(self) -> int:
        db.session.expire_all()
        return db.session.scalar(
            sa.select(Initiative.version).where(Initiative.id == self.initiative.id)
        )

    def apply(self, case: Any, pick: int, *, body: bool) -> None:
        """Replace generated ids in the path and, when `body`, in the body (and the version)
        with real ones; `pick` chooses among them."""
        for name, value in list(case.path_parameters.items()):
            real = self.path.get(name)
            if real is not None and isinstance(value, int):
                case.path_parameters[name] = (
                    real[pick % len(real)] if isinstance(real, list) else real
                )
        if body and isinstance(case.body, dict):
            for name in list(case.body):
                if name in self.body and isinstance(case.body[name], int):
                    options = self.body[name]
                    case.body[name] = options[pick % len(options)]
            if isinstance(case.body.get("version"), int):
                case.body["version"] = self.version()


@pytest.fixture
def realistic(the_board: Board, users: dict[str, User]) -> Realistic:
    return Realistic(the_board, users)


def test_openapi_lists_every_operation(api_schema: Any) -> None:
    listed = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert listed == set(OPERATIONS)


@pytest.mark.parametrize(
    "mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"]
)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_operation_never_fails_and_matches_its_document(
    app: Flask,
    api_schema: Any,
    envoy_headers: dict[str, str],
    realistic: Realistic,
    method: str,
    path: str,
    mode: GenerationMode,
) -> None:
    operation = api_schema[path][method]
    statuses: list[int] = []

    @given(
        case=operation.as_strategy(generation_mode=mode), real=st.booleans(), pick=st.integers(0, 7)
    )
    @EXAMPLES
    def check(case: Any, real: bool, pick: int) -> None:
        if real:
            # An invalid request keeps its invalid body: only its path is made to hit real rows.
            realistic.apply(case, pick, body=mode is GenerationMode.POSITIVE)
        with app.app_context():  # each request in its own context, as in production
            response = case.call_and_validate(headers=envoy_headers, checks=CHECKS)
        statuses.append(response.status_code)

    check()
    # The run really exercised the operation (not, say, 401 on every request).
    assert statuses
    assert 401 not in statuses
