"""Every page answers its errors with a page; the JSON error shape is the API's alone.

The walk goes through every route of the page blueprints (web, admin, account, reports), as
an admin and as a member, with GET and POST (with and without a CSRF token), at ids that do
not exist, and checks that each 4xx answer is an HTML page."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.routing import AnyConverter, IntegerConverter, Rule

from tests.conftest import AuthActions
from tests.factories import make_token
from tracker.extensions import db
from tracker.models import ApiToken

PAGE_BLUEPRINTS = ("web", "admin", "account", "reports")
MISSING_ID = 999_999
# The walk stays signed in: these would end its session half-way.
SIGNING_OUT = {"web.logout", "account.sign_out_everywhere"}


def _url(rule: Rule) -> str:
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, IntegerConverter):
            values[name] = MISSING_ID
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "nope"
    return rule.build(values, append_unknown=False)[1]


def _is_page(response: Any) -> bool:
    return response.mimetype == "text/html" and response.get_data(as_text=True).startswith(
        "<!doctype html>"
    )


@pytest.mark.parametrize("role", ["admin", "member"])
@pytest.mark.parametrize("blueprint", PAGE_BLUEPRINTS)
def test_every_page_route_answers_errors_with_a_page(
    app, client, users, the_board, blueprint, role
):
    auth = AuthActions(client)
    assert auth.login(users[role]).status_code == 302
    token = auth.csrf_token("/account")
    rules = [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith(blueprint + ".") and r.endpoint not in SIGNING_OUT
    ]
    assert rules
    statuses: Counter[int] = Counter()
    not_pages = []
    for rule in rules:
        url = _url(rule)
        requests = []
        if "GET" in rule.methods:
            requests.append(("GET", {}))
        if "POST" in rule.methods:
            requests += [("POST", {}), ("POST", {"csrf_token": token})]
        for method, data in requests:
            response = client.open(url, method=method, data=data)
            assert response.status_code < 500, (method, url)
            if response.status_code >= 400:
                statuses[response.status_code] += 1
                if not _is_page(response):
                    not_pages.append((method, url, bool(data), response.status_code))
    assert not_pages == []
    assert statuses, "the walk met no error at all"
    assert client.get("/account").status_code == 200  # still signed in: the walk was real


def test_the_walk_meets_not_found_forbidden_invalid_and_csrf_errors(app, client, users, the_board):
    """The walk above is worth something: between them, its cases answer 400, 403, 404 and
    422 (all as pages)."""
    seen: Counter[int] = Counter()
    for role in ("admin", "member"):
        auth = AuthActions(client)
        auth.login(users[role])
        token = auth.csrf_token("/account")
        for rule in app.url_map.iter_rules():
            if rule.endpoint.split(".")[0] not in PAGE_BLUEPRINTS or rule.endpoint in SIGNING_OUT:
                continue
            for method, data in (("GET", {}), ("POST", {}), ("POST", {"csrf_token": token})):
                if method in rule.methods:
                    seen[client.open(_url(rule), method=method, data=data).status_code] += 1
        auth.logout()
    assert {400, 403, 404, 422} <= set(seen)


def test_revoking_a_token_that_does_not_exist_is_a_404_page(client, auth, users):
    auth.login(users["member"])
    response = client.post(
        f"/account/tokens/{MISSING_ID}/revoke", data={"csrf_token": auth.csrf_token("/account")}
    )
    assert response.status_code == 404
    assert _is_page(response)
    assert f"Token {MISSING_ID} does not exist." in response.get_data(as_text=True)


def test_revoking_someone_elses_token_is_a_403_page(client, auth, users):
    make_token(users["envoy"])
    token_id = db.session.scalar(sa.select(ApiToken.id))
    auth.login(users["member"])
    response = client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": auth.csrf_token("/account")}
    )
    assert response.status_code == 403
    assert _is_page(response)
    assert db.session.scalar(sa.select(ApiToken.revoked_at)) is None


def test_the_api_keeps_its_json_errors(client, users):
    bearer = {"Authorization": f"Bearer {make_token(users['member'])}"}
    response = client.get(f"/api/v1/initiatives/{MISSING_ID}", headers=bearer)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "path", ["/initiatives/{id}/claims", "/initiatives/{id}/comments", "/initiatives/{id}/move"]
)
def test_an_action_on_an_initiative_that_does_not_exist_is_a_404_page(client, auth, users, path):
    """Claim among them: it used to go back to the missing initiative's page with a message."""
    auth.login(users["envoy"])
    token = auth.csrf_token("/")
    for missing in (0, MISSING_ID):
        response = client.post(
            path.format(id=missing), data={"csrf_token": token, "role_type_id": "1"}
        )
        assert response.status_code == 404, (path, missing)
        assert response.mimetype == "text/html"
