"""Signing in and out, CSRF on forms, API tokens and the account commands."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import AuthActions
from tests.factories import PASSWORD, make_token
from tracker import accounts
from tracker.admin import people
from tracker.extensions import db
from tracker.models import ApiToken, Organisation, User


def test_passwords_are_stored_as_argon2id(users):
    assert users["envoy"].password_hash.startswith("$argon2id$")


def test_sign_in_with_right_password_then_sign_out(client, auth, users):
    response = auth.login(users["member"])
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # on to the board
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert users["member"].name in page
    auth.logout()
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_wrong_password_and_unknown_account_get_the_same_message(client, auth, users):
    wrong = auth.login(users["member"], password="not-the-password").get_data(as_text=True)
    unknown = auth.login("nobody@example.org").get_data(as_text=True)
    message = "That e-mail and password do not match an active account."
    assert message in wrong
    assert message in unknown


def test_sign_in_clears_the_previous_session(client, auth, users):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    auth.login(users["member"])
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{users['member'].id}:")


def test_login_form_without_csrf_token_is_refused(client, users):
    response = client.post("/login", data={"email": users["member"].email, "password": PASSWORD})
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_disabled_user_cannot_sign_in_and_loses_session(client, auth, users):
    auth.login(users["member"])
    users["member"].active = False
    db.session.commit()
    assert "/login" in client.get("/").headers["Location"]
    assert "do not match" in auth.login(users["member"]).get_data(as_text=True)


def test_sign_in_redirects_only_to_local_pages(client, auth, users):
    token = auth.csrf_token("/login")
    response = client.post(
        "/login",
        data={
            "email": users["member"].email,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "https://evil.example/",
        },
    )
    assert response.headers["Location"] == "/"


def test_bearer_token_authenticates_and_is_stored_hashed(client, users):
    token = make_token(users["viewer"])
    stored = db.session.scalars(sa.select(ApiToken.token_hash)).all()
    assert token not in stored
    assert len(stored) == 1
    ok = client.get("/api/v1/boards", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    bad = client.get("/api/v1/boards", headers={"Authorization": "Bearer trk_wrong"})
    assert bad.status_code == 401
    assert bad.json["error"]["code"] == "unauthenticated"


def test_token_of_disabled_user_stops_working(client, users):
    token = make_token(users["envoy"])
    users["envoy"].active = False
    db.session.commit()
    response = client.get("/api/v1/boards", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_create_user_command_makes_an_account_that_can_sign_in(runner, app):
    result = runner.invoke(
        args=[
            "create-user",
            "Dana@Example.org",
            "--org",
            "Hertfordshire County Council",
            "--role",
            "member",
            "--password",
            "a-long-password-1",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "dana@example.org"))
    assert user.role == "member"
    assert user.organisation.name == "Hertfordshire County Council"
    assert accounts.authenticate("dana@example.org", "a-long-password-1") is not None


def test_create_user_prompts_for_password_when_not_given(runner, app):
    result = runner.invoke(
        args=["create-user", "eve@example.org", "--org", "BRE Group", "--role", "viewer"],
        input="a-long-password-2\na-long-password-2\n",
    )
    assert result.exit_code == 0, result.output
    assert accounts.authenticate("eve@example.org", "a-long-password-2") is not None


def test_create_user_refuses_short_password_and_bad_role(runner, app):
    short = runner.invoke(
        args=[
            "create-user",
            "f@example.org",
            "--org",
            "X",
            "--role",
            "member",
            "--password",
            "short",
        ]
    )
    assert short.exit_code != 0
    assert "at least 12 characters" in short.output
    bad_role = runner.invoke(
        args=[
            "create-user",
            "g@example.org",
            "--org",
            "X",
            "--role",
            "king",
            "--password",
            "x" * 12,
        ]
    )
    assert bad_role.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_create_user_finds_the_organisation_whatever_its_case_and_creates_none_by_mistake(
    runner, app
):
    first = ["--role", "admin", "--password", "a-long-password-1"]
    assert (
        runner.invoke(
            args=["create-user", "a@example.org", "--org", "Hertfordshire LEP", *first]
        ).exit_code
        == 0
    )
    same = runner.invoke(
        args=["create-user", "b@example.org", "--org", "  hertfordshire  lep ", *first]
    )
    assert same.exit_code == 0, same.output
    assert "(Hertfordshire LEP)" in same.output
    typo = runner.invoke(
        args=["create-user", "c@example.org", "--org", "Hertfordshire LPE", *first]
    )
    assert typo.exit_code != 0
    assert "no organisation is called “Hertfordshire LPE”" in typo.output
    assert "Hertfordshire LEP" in typo.output and "--new-org" in typo.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1
    new = runner.invoke(
        args=["create-user", "c@example.org", "--org", "BRE Group", "--new-org", *first]
    )
    assert new.exit_code == 0, new.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 2


def test_create_token_command_prints_a_working_token(runner, client, users):
    result = runner.invoke(args=["create-token", users["envoy"].email])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    response = client.get("/api/v1/organisations", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    missing = runner.invoke(args=["create-token", "nobody@example.org"])
    assert missing.exit_code != 0


def test_seed_demo_loads_the_workshop_board_once(runner, app):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    titles = set(db.session.scalars(sa.text("select title from initiatives")).all())
    assert titles == {"Video companionship", "Smart health monitoring", "Cross-agency data sharing"}
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code != 0
    assert "only once" in again.output
    quiet = runner.invoke(args=["seed-demo", "--if-empty"])
    assert quiet.exit_code == 0
    assert db.session.scalar(sa.text("select count(*) from boards")) == 1
    roles = set(db.session.scalars(sa.select(User.role)).all())
    assert roles == {"admin", "envoy", "member", "viewer"}


def test_setting_a_password_from_a_link_ends_every_session_and_says_how_to_sign_in(
    app, client, auth, users
):
    member = users["member"]
    elsewhere = app.test_client()
    assert AuthActions(elsewhere).login(member).status_code == 302
    secret = people.issue_link(users["admin"], member.id).value.secret
    db.session.commit()
    path = f"/account/set-password/{secret}"
    response = client.post(
        path,
        data={
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
            "csrf_token": auth.csrf_token(path),
        },
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Sign in with your e-mail address and your new password." in page
    ended = elsewhere.get("/account", follow_redirects=True).get_data(as_text=True)
    assert "because your password was set again" in ended


@pytest.mark.parametrize("initiative_id", ["9223372036854775808", "2147483648", "0"])
def test_comment_command_refuses_ids_out_of_range(runner, users, initiative_id):
    result = runner.invoke(
        args=["comment", "--as", users["envoy"].email, "--", initiative_id, "note"]
    )
    assert result.exit_code == 2, result.output
    assert "INITIATIVE_ID" in result.output and "Traceback" not in result.output
