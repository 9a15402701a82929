"""`/help`: readable by anyone, signed in or not; the permission table is the one `policy`
enforces; signed in, each board's stages as they are now; the API section links the OpenAPI
document."""

from __future__ import annotations

import re

from tracker import policy


def cells(page: str, action: str) -> list[str]:
    row = re.search(rf"<tr><th scope=\"row\">{re.escape(action)}</th>(.*?)</tr>", page)
    assert row is not None, action
    return re.findall(r"<td>(.*?)</td>", row.group(1))


def test_help_is_readable_without_signing_in_and_shows_no_board(client, the_board):
    response = client.get("/help")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for heading in (
        "Who can do what",
        "Stages",
        "RAG status and its reason",
        "Roles on an initiative",
        "Using the board with a keyboard",
        "The weekly report",
        "The API, for integrators",
    ):
        assert f">{heading}</h2>" in page, heading
    assert the_board.name not in page  # no board's content for someone not signed in
    assert '<nav aria-label="Help"><a href="/help">Help</a></nav>' in page


def test_the_permission_table_is_the_one_the_server_enforces(client):
    page = client.get("/help").get_data(as_text=True)
    assert cells(page, "Archive or restore an initiative") == ["Yes", "Yes", "No", "No"]
    assert cells(page, "Propose an initiative") == [
        "Yes",
        "Yes",
        "Yes, for their own organisation",
        "No",
    ]
    assert cells(page, "Edit or move an initiative")[2:] == [
        "Yes, where their organisation proposed it or holds a role",
        "No",
    ]
    assert cells(page, "Administer boards, people and organisations") == ["Yes", "No", "No", "No"]
    # The rows with no narrower rule for members, against the policy itself.
    for action, key in [
        ("See boards, initiatives, history and reports", "view"),
        ("Archive or restore an initiative", "archive"),
        ("Add a progress note", "comment"),
        ("Export the weekly report (CSV, XLSX, JSON)", "export"),
        ("Administer boards, people and organisations", "administer"),
    ]:
        expected = [
            "Yes" if role in policy.ROLES_ALLOWED[key] else "No"
            for role in ("admin", "envoy", "member", "viewer")
        ]
        assert cells(page, action) == expected, action


def test_signed_in_help_lists_each_boards_stages_and_links_the_api_document(
    client, auth, the_board, users
):
    auth.login(users["member"])
    page = client.get("/help").get_data(as_text=True)
    assert f"<p>{the_board.name}:</p>" in page
    stages = re.findall(
        r"<li>([^<]+?)(?: \(limit \d+\))?</li>", page.split('class="help-stages"')[1]
    )
    names = [s.name for s in sorted(the_board.stages, key=lambda s: s.position)]
    assert stages[: len(names)] == names
    assert 'href="/api/v1/openapi.json">OpenAPI document</a>' in page
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert '<a href="/help">Help</a> · <a href="/account">Your account</a>' in page
