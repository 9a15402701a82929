"""A card's details without leaving the board (issue 13, part 6): `/initiatives/{id}/details`
is the initiative page's content without the page around it, for the board's dialog. Its
forms (claim, release, move, notes) come back to it with the outcome said at the top, and the
same rules hold as on the page: a viewer is offered no form and is refused one sent anyway."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.factories import make_initiative, role_type, stage
from tracker import board
from tracker.extensions import db
from tracker.models import Claim, Comment, Initiative


def csrf(auth) -> str:
    return auth.csrf_token("/")


def test_the_details_are_the_initiative_without_the_page_around_it(
    client, auth, the_board, users
) -> None:
    initiative = make_initiative(the_board, users["envoy"], title="Bus data", summary="Open it")
    board.add_comment(users["envoy"], initiative.id, "Kick-off held")
    db.session.commit()
    auth.login(users["member"])
    details = client.get(f"/initiatives/{initiative.id}/details")
    assert details.status_code == 200
    html = details.get_data(as_text=True)
    assert "<html" not in html and "<header" not in html  # a fragment, not a page
    assert '<h2 id="initiative-heading">Bus data</h2>' in html
    assert '<h3 id="roles-heading">Roles</h3>' in html
    assert "Open it" in html and "Kick-off held" in html
    assert '<h3 id="history-heading">History</h3>' in html
    assert f'<a href="/initiatives/{initiative.id}">Open “Bus data” on its own page</a>' in html
    # Every form in it comes back to it.
    forms = re.findall(r'<form method="post".*?</form>', html, re.S)
    assert forms
    for form in forms:
        assert f'name="next" value="/initiatives/{initiative.id}/details"' in form, form
    # The page itself is unchanged: h1, and its forms return to the page.
    page = client.get(f"/initiatives/{initiative.id}").get_data(as_text=True)
    assert '<h1 id="initiative-heading">Bus data</h1>' in page
    assert f'value="/initiatives/{initiative.id}/details"' not in page


def test_the_details_need_a_signed_in_user_and_an_initiative(client, auth, users) -> None:
    response = client.get("/initiatives/1/details")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login(users["viewer"])
    assert client.get("/initiatives/999/details").status_code == 404
    assert client.get("/initiatives/99999999999/details").status_code in (400, 404)


def test_a_claim_from_the_dialog_comes_back_to_it_with_the_outcome(
    client, auth, the_board, users
) -> None:
    initiative = make_initiative(the_board, users["envoy"], title="Bus data")
    auth.login(users["member"])
    lead = role_type(the_board, "Evaluator").id
    done = client.post(
        f"/initiatives/{initiative.id}/claims",
        data={
            "csrf_token": csrf(auth),
            "role_type_id": lead,
            "organisation_id": users["member"].organisation_id,
            "next": f"/initiatives/{initiative.id}/details",
        },
        follow_redirects=True,
    )
    assert done.request.path == f"/initiatives/{initiative.id}/details"
    html = done.get_data(as_text=True)
    assert '<p class="flash flash-success">Police now holds Evaluator.</p>' in html
    assert "claimed by" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 1


def test_a_note_and_a_move_from_the_dialog_come_back_to_it(client, auth, the_board, users) -> None:
    initiative = make_initiative(the_board, users["envoy"], title="Bus data")
    auth.login(users["envoy"])
    back = f"/initiatives/{initiative.id}/details"
    noted = client.post(
        f"/initiatives/{initiative.id}/comments",
        data={"csrf_token": csrf(auth), "body": "Met the operators", "next": back},
        follow_redirects=True,
    )
    assert noted.request.path == back
    assert "Note added." in noted.get_data(as_text=True)
    assert db.session.scalar(sa.select(Comment.body)) == "Met the operators"
    moved = client.post(
        f"/initiatives/{initiative.id}/move",
        data={
            "csrf_token": csrf(auth),
            "version": initiative.version,
            "stage_id": stage(the_board, "Exploring"),
            "next": back,
        },
        follow_redirects=True,
    )
    assert moved.request.path == back
    assert "Moved “Bus data” to Exploring." in moved.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Initiative, initiative.id).stage_id == stage(the_board, "Exploring")


def test_a_viewer_gets_no_form_in_the_dialog_and_is_refused_one(
    client, auth, the_board, users
) -> None:
    initiative = make_initiative(the_board, users["envoy"], title="Bus data")
    auth.login(users["viewer"])
    html = client.get(f"/initiatives/{initiative.id}/details").get_data(as_text=True)
    # Only following it, which any account may: no form that changes the initiative.
    forms = re.findall(r'<form method="post" action="([^"]+)"', html)
    assert forms == [f"/initiatives/{initiative.id}/watch"]
    refused = client.post(
        f"/initiatives/{initiative.id}/comments",
        data={
            "csrf_token": csrf(auth),
            "body": "Let me in",
            "next": f"/initiatives/{initiative.id}/details",
        },
    )
    assert refused.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_the_dialogs_next_cannot_lead_off_the_site(client, auth, the_board, users) -> None:
    initiative = make_initiative(the_board, users["envoy"], title="Bus data")
    auth.login(users["envoy"])
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        done = client.post(
            f"/initiatives/{initiative.id}/comments",
            data={"csrf_token": csrf(auth), "body": "Fine", "next": target},
        )
        assert done.status_code == 302
        assert done.headers["Location"].startswith(f"/initiatives/{initiative.id}"), target
