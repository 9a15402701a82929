"""`/help`: for people signed in (anonymous visitors see only the sign-in page); the
permission table is the one `policy` enforces; each board's stages as they are now; the API
section links the OpenAPI document."""

from __future__ import annotations

import html
import re

import pytest

from tests.factories import make_initiative
from tracker import policy


def cells(page: str, action: str) -> list[str]:
    row = re.search(rf"<tr><th scope=\"row\">{re.escape(action)}</th>(.*?)</tr>", page)
    assert row is not None, action
    return [html.unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row.group(1))]


@pytest.fixture
def help_page(client, auth, users) -> str:
    auth.login(users["member"])
    response = client.get("/help")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_help_is_for_people_signed_in(client):
    response = client.get("/help")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_help_has_every_section_and_is_linked_from_the_header(help_page):
    for heading in (
        "Who can do what",
        "Stages",
        "RAG status and its reason",
        "Roles on an initiative",
        "Using the board with a keyboard",
        "The weekly report",
        "The API, for integrators",
    ):
        assert f">{heading}</h2>" in help_page, heading
    assert '<a href="/help" aria-current="page">Help</a> · <a href="/notifications"' in help_page


def test_the_permission_table_is_the_one_the_server_enforces(help_page, the_board, users):
    member = users["member"]
    # Rows with no narrower rule: "Yes" exactly where the policy allows the account role.
    for action, key in [
        ("See boards, initiatives, history and reports", "view"),
        ("Archive or restore an initiative", "archive"),
        ("Add a progress note", "comment"),
        ("Export the weekly report (CSV, XLSX, JSON)", "export"),
        ("Administer boards, people and organisations", "administer"),
    ]:
        expected = [
            "Yes" if policy.may(users[role], key) else "No"
            for role in ("admin", "envoy", "member", "viewer")
        ]
        assert cells(help_page, action) == expected, action
    # A member's narrower rules, against what the policy decides for a real member.
    own = make_initiative(the_board, member, title="Police card")
    foreign = make_initiative(the_board, users["envoy"], title="LEP card")
    assert policy.may_edit(member, own) and not policy.may_edit(member, foreign)
    assert not policy.may_edit(users["viewer"], own)
    assert cells(help_page, "Edit or move an initiative") == [
        "Yes",
        "Yes",
        "Yes, where their organisation proposed it or holds a role",
        "No",
    ]
    assert policy.may_act_for(member, member.organisation_id)
    assert not policy.may_act_for(member, users["envoy"].organisation_id)
    for action, note in [
        ("Propose an initiative", "for their own organisation"),
        ("Claim a role", "for their own organisation"),
        ("Release a role", "their own organisation's"),
    ]:
        assert cells(help_page, action) == ["Yes", "Yes", f"Yes, {note}", "No"], action


def test_help_lists_each_boards_stages_and_links_the_api_document(client, help_page, the_board):
    assert f"<h3>{the_board.name}</h3>" in help_page
    listed = help_page.split('class="help-stages"')[1].split("</ol>")[0]
    stages = re.findall(r"<li>([^<]+?)(?: \(limit \d+\))?</li>", listed)
    assert stages == [s.name for s in sorted(the_board.stages, key=lambda s: s.position)]
    assert 'href="/api/v1/openapi.json">OpenAPI document</a>' in help_page
    assert client.get("/api/v1/openapi.json").status_code == 200
