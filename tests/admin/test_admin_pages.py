"""Administration and account pages: only admins reach the admin pages; forms carry CSRF,
name each refused field, and call the same operations as everything else; the invitation
link works once; board-shape changes reach open boards live; e-mail goes out only when SMTP
is configured."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tests.conftest import AuthActions, FreshContextClient, _config, last_seq
from tests.factories import make_initiative, make_token, role_type, stage
from tests.processes import free_port
from tracker import board, create_app, unit_of_work
from tracker.extensions import db, socketio
from tracker.models import ApiToken, AuditEntry, Organisation, ReportRecipient, Stage, User


def post(client, auth: AuthActions, path: str, data: dict[str, Any] | None = None):
    return client.post(path, data={**(data or {}), "csrf_token": auth.csrf_token("/login")})


@pytest.fixture
def admin_auth(client, auth, users) -> AuthActions:
    assert auth.login(users["admin"]).status_code == 302
    return auth


def audit_actions() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def page_text(response) -> str:
    return response.get_data(as_text=True)


# --- who may reach the pages --------------------------------------------------------------

ANY_VALUE = {
    "what": {"admin.set_organisation_active": "deactivate", "admin.set_person_active": "disable"}
}


def _a_recipient(board_id: int) -> int:
    """A weekly report recipient of the board, for the routes that take one."""
    recipient = ReportRecipient(board_id=board_id, address="office@partner.example")
    db.session.add(recipient)
    db.session.commit()
    return recipient.id


def _admin_urls(app, the_board, users) -> list[tuple[str, str]]:
    token = make_token(users["viewer"])
    assert token
    ids = {
        "organisation_id": users["member"].organisation_id,
        "user_id": users["viewer"].id,
        "token_id": db.session.scalar(sa.select(ApiToken.id)),
        "board_id": the_board.id,
        "stage_id": the_board.stages[-1].id,
        "grand_challenge_id": the_board.grand_challenges[-1].id,
        "role_type_id": the_board.role_types[-1].id,
        "recipient_id": _a_recipient(the_board.id),
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        values = {
            name: ANY_VALUE[name][rule.endpoint] if name in ANY_VALUE else ids[name]
            for name in rule.arguments
        }
        path = rule.build(values)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, path))
    return urls


@pytest.mark.parametrize("role", ["envoy", "member", "viewer"])
def test_every_admin_page_and_action_is_403_for_non_admins(
    app, client, auth, the_board, users, role
):
    urls = _admin_urls(app, the_board, users)
    assert len(urls) >= 30
    auth.login(users[role])
    token = auth.csrf_token("/")
    seq = last_seq(the_board.id)
    for method, path in urls:
        response = client.open(path, method=method, data={"csrf_token": token, "name": "X"})
        assert response.status_code == 403, (method, path)
        assert "Not allowed" in page_text(response)
    assert audit_actions() == []
    assert last_seq(the_board.id) == seq


def test_anonymous_visitors_are_sent_to_sign_in(app, client, the_board, users):
    for method, path in _admin_urls(app, the_board, users):
        response = client.open(path, method=method)
        if method == "GET":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            assert response.status_code in (302, 400), (method, path)
    for path in ["/account"]:
        assert "/login" in client.get(path).headers["Location"]


def test_admin_sees_every_page(client, admin_auth, the_board, users):
    for path in [
        "/admin/",
        "/admin/organisations",
        "/admin/people",
        f"/admin/people/{users['member'].id}",
        "/admin/boards",
        f"/admin/boards/{the_board.id}",
        "/admin/tokens",
        "/admin/tokens?revoked=1",
        "/admin/audit",
        "/account",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path


def test_navigation_offers_administration_only_to_admins(client, auth, users, the_board):
    auth.login(users["envoy"])
    page = page_text(client.get(f"/boards/{the_board.id}"))
    assert "Your account" in page and "Administration" not in page
    auth.logout()
    auth.login(users["admin"])
    assert 'href="/admin/"' in page_text(client.get(f"/boards/{the_board.id}"))


def test_forms_without_csrf_token_are_refused(client, admin_auth):
    response = client.post("/admin/organisations", data={"new-name": "Sneaky"})
    assert response.status_code == 400
    assert "The form has expired, or was not sent from the tracker" in page_text(response)
    assert db.session.scalar(sa.select(Organisation).where(Organisation.name == "Sneaky")) is None


# --- organisations ------------------------------------------------------------------------


def test_create_rename_and_deactivate_an_organisation(client, admin_auth, users):
    response = post(client, admin_auth, "/admin/organisations", {"new-name": "BRE Group"})
    assert response.status_code == 302
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == "BRE Group"))
    response = post(
        client, admin_auth, f"/admin/organisations/{org.id}/rename", {f"org-{org.id}-name": "BRE"}
    )
    assert response.status_code == 302
    response = post(client, admin_auth, f"/admin/organisations/{org.id}/deactivate")
    assert response.status_code == 302
    assert "can no longer sign in" in page_text(client.get(response.headers["Location"]))
    assert audit_actions() == [
        "organisation.created",
        "organisation.renamed",
        "organisation.deactivated",
    ]


def test_refused_organisation_name_is_named_at_its_field(client, admin_auth, users):
    response = post(client, admin_auth, "/admin/organisations", {"new-name": "police"})
    assert response.status_code == 422
    page = page_text(response)
    assert 'id="new-name" ' in page and 'aria-invalid="true"' in page
    reason = "an organisation with this name already exists"
    assert f'<p class="field-error" id="new-name-error">{reason}</p>' in page
    assert f'<a href="#new-name">Name of the new organisation: {reason}</a>' in page
    org_id = users["member"].organisation_id
    response = post(
        client, admin_auth, f"/admin/organisations/{org_id}/rename", {f"org-{org_id}-name": ""}
    )
    assert response.status_code == 422
    assert f'id="org-{org_id}-name-error"' in page_text(response)


def test_admin_cannot_deactivate_own_organisation_from_the_page(client, admin_auth, users):
    response = post(
        client, admin_auth, f"/admin/organisations/{users['admin'].organisation_id}/deactivate"
    )
    assert "you would lock yourself out" in page_text(client.get(response.headers["Location"]))
    assert audit_actions() == []


# --- people and the invitation link -------------------------------------------------------


def _invite(client, auth, email="jo@example.org", organisation_id=None, role="member"):
    police = db.session.scalar(sa.select(Organisation).where(Organisation.name == "Police"))
    return post(
        client,
        auth,
        "/admin/people/invite",
        {
            "invite-email": email,
            "invite-name": "Jo Bloggs",
            "invite-organisation_id": organisation_id or police.id,
            "invite-role": role,
        },
    )


def _link(response) -> str:
    match = re.search(
        r'id="one-time-link" type="text" readonly value="([^"]+)"', page_text(response)
    )
    assert match, page_text(response)
    return match[1]


def test_invitation_link_lets_the_invitee_set_a_password_once(app, client, admin_auth, users):
    response = _invite(client, admin_auth)
    assert response.status_code == 200
    link = _link(response)
    assert link.startswith("http://localhost/account/set-password/")
    path = link.removeprefix("http://localhost")

    invitee = app.test_client()
    invitee_auth = AuthActions(invitee)
    page = invitee.get(path)
    assert page.status_code == 200 and "Welcome, Jo Bloggs" in page_text(page)
    token = invitee_auth.csrf_token(path)
    short = invitee.post(path, data={"csrf_token": token, "password": "short", "confirm": "short"})
    assert short.status_code == 422
    assert 'id="password-error">must be at least 12 characters' in page_text(short)
    mismatch = invitee.post(
        path,
        data={"csrf_token": token, "password": "a long passphrase", "confirm": "another one!!"},
    )
    assert 'id="confirm-error">must match the new password' in page_text(mismatch)
    done = invitee.post(
        path,
        data={"csrf_token": token, "password": "a long passphrase", "confirm": "a long passphrase"},
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert invitee_auth.login("jo@example.org", "a long passphrase").status_code == 302
    again = app.test_client().get(path)
    assert again.status_code == 410 and "This link no longer works" in page_text(again)
    assert audit_actions() == ["user.invited", "account.password_set"]


def test_invite_form_names_refused_fields(client, admin_auth, users):
    response = _invite(client, admin_auth, email=users["member"].email)
    assert response.status_code == 422
    assert 'id="invite-email-error">an account with this e-mail already exists' in page_text(
        response
    )
    response = post(
        client, admin_auth, "/admin/people/invite", {"invite-email": "x", "invite-role": "member"}
    )
    assert response.status_code == 422
    page = page_text(response)
    assert 'id="invite-name-error"' in page and 'id="invite-organisation_id-error"' in page


def test_change_role_disable_enable_and_reset_link_from_the_person_page(client, admin_auth, users):
    viewer = users["viewer"]
    path = f"/admin/people/{viewer.id}"
    response = post(
        client,
        admin_auth,
        path,
        {"person-role": "member", "person-organisation_id": users["member"].organisation_id},
    )
    assert response.status_code == 302
    assert post(client, admin_auth, f"{path}/disable").status_code == 302
    assert "Disabled" in page_text(client.get(path))
    assert post(client, admin_auth, f"{path}/enable").status_code == 302
    response = post(client, admin_auth, f"{path}/link")
    assert "Password-reset link for" in page_text(response) and "24 hours" in page_text(response)
    _link(response)
    assert audit_actions() == [
        "user.changed",
        "user.disabled",
        "user.enabled",
        "user.reset_link_issued",
    ]


def test_admin_cannot_change_own_role_on_the_page(client, admin_auth, users):
    admin = users["admin"]
    response = post(
        client,
        admin_auth,
        f"/admin/people/{admin.id}",
        {"person-role": "viewer", "person-organisation_id": admin.organisation_id},
    )
    assert response.status_code == 422
    assert 'id="person-role-error">you cannot change your own account role' in page_text(response)


# --- e-mail -------------------------------------------------------------------------------


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox, port = _Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def mail_app(database_path, users):
    made = []

    def make(port: int):
        mailing = create_app(
            {
                **_config(database_path),
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": port,
                "MAIL_USE_TLS": False,
                "MAIL_SENDER": "tracker@herts-lep.example",
            }
        )
        mailing.test_client_class = FreshContextClient
        made.append(mailing)
        return mailing

    yield make
    for mailing in made:
        with mailing.app_context():
            db.engine.dispose()


def test_invitation_is_emailed_when_smtp_is_configured(mail_app, smtp, users):
    inbox, port = smtp
    client = mail_app(port).test_client()
    auth = AuthActions(client)
    auth.login(users["admin"])
    response = _invite(client, auth, email="sam@example.org")
    assert "It has been e-mailed to sam@example.org." in page_text(response)
    link = _link(response)
    (message,) = inbox.messages
    assert message.rcpt_tos == ["sam@example.org"]
    assert message.mail_from == "tracker@herts-lep.example"
    email = message_from_bytes(message.content, policy=default_policy)
    assert email["Subject"] == "You are invited to the Initiative Tracker"
    body = email.get_content()
    assert link in body and "7 days" in body


def test_no_email_without_smtp_settings(client, admin_auth, smtp, users):
    inbox, _ = smtp
    response = _invite(client, admin_auth, email="sam@example.org")
    assert "e-mailed" not in page_text(response)
    assert inbox.messages == []


def test_failed_email_still_shows_the_link(mail_app, users):
    client = mail_app(free_port()).test_client()  # nothing listens there
    auth = AuthActions(client)
    auth.login(users["admin"])
    response = _invite(client, auth, email="sam@example.org")
    assert response.status_code == 200
    assert "could not be sent" in page_text(response)
    _link(response)
    assert db.session.scalar(sa.select(User).where(User.email == "sam@example.org")) is not None


# --- boards -------------------------------------------------------------------------------


@pytest.fixture
def board_viewer(app, users, the_board):
    """The envoy's browser with the board open (a joined socket)."""
    viewer = app.test_client()
    AuthActions(viewer).login(users["envoy"])
    sock = socketio.test_client(app, flask_test_client=viewer)
    ack = sock.emit(
        "join", {"board_id": the_board.id, "since": last_seq(the_board.id)}, callback=True
    )
    assert "last_seq" in ack
    sock.get_received()
    yield sock
    if sock.is_connected():
        sock.disconnect()


def _board_events(sock) -> list[dict[str, Any]]:
    return [m["args"][0] for m in sock.get_received() if m["name"] == "board_event"]


def test_stage_changes_from_the_page_reach_open_boards(client, admin_auth, the_board, board_viewer):
    base = f"/boards/{the_board.id}"
    response = post(
        client,
        admin_auth,
        f"/admin{base}/stages",
        {"new-stage-name": "Scale-up", "new-stage-wip_limit": "3"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("#stages")
    (event,) = _board_events(board_viewer)
    assert event["type"] == "board_changed"
    assert event["data"]["change"] == "stage_added"
    assert event["data"]["stage"]["name"] == "Scale-up"
    new_id = event["data"]["stage"]["id"]

    post(
        client,
        admin_auth,
        f"/admin/stages/{new_id}",
        {f"stage-{new_id}-name": "Scaling", f"stage-{new_id}-wip_limit": ""},
    )
    post(client, admin_auth, f"/admin/stages/{new_id}/move", {"direction": "up"})
    post(client, admin_auth, f"/admin/stages/{new_id}/delete")
    changes = [e["data"]["change"] for e in _board_events(board_viewer)]
    assert changes == ["stage_changed", "stage_moved", "stage_deleted"]
    # The board page shows the new shape.
    page = page_text(client.get(base))
    assert f'id="stage-{new_id}"' not in page


def test_lane_and_role_type_changes_reach_open_boards(client, admin_auth, the_board, board_viewer):
    lane = the_board.grand_challenges[0]
    post(
        client,
        admin_auth,
        f"/admin/grand-challenges/{lane.id}",
        {f"lane-{lane.id}-name": "Older people"},
    )
    lead = role_type(the_board, "Partner")
    post(
        client,
        admin_auth,
        f"/admin/role-types/{lead.id}",
        {f"role-{lead.id}-name": "Partner", f"role-{lead.id}-max_holders": "4"},
    )
    changes = [e["data"]["change"] for e in _board_events(board_viewer)]
    assert changes == ["grand_challenge_changed", "role_type_changed"]


def test_deleting_a_stage_with_initiatives_says_how_many_and_which(
    client, admin_auth, the_board, users, board_viewer
):
    exploring = stage(the_board, "Exploring")
    # Committed and published here, so the viewer has had it before the delete is tried (made
    # by the factory, it would reach the viewer through the poller, up to a second later).
    unit_of_work.commit_change(
        board.propose(
            users["envoy"],
            the_board.id,
            {"title": "Video companionship", "grand_challenge_id": the_board.grand_challenges[0].id,
             "stage_id": exploring},
        )
    )  # fmt: skip
    _board_events(board_viewer)
    response = post(client, admin_auth, f"/admin/stages/{exploring}/delete")
    assert response.status_code == 302
    page = page_text(client.get(response.headers["Location"]))
    assert (
        "Stage “Exploring” cannot be deleted: it holds 1 initiative: “Video companionship”" in page
    )
    assert db.session.get(Stage, exploring) is not None
    assert _board_events(board_viewer) == []


def test_lowering_a_maximum_below_holders_is_refused_at_its_field(
    client, admin_auth, the_board, users
):
    initiative = make_initiative(the_board, users["envoy"], title="Cross-agency data sharing")
    partner = role_type(the_board, "Partner")
    for org in ("A", "B"):
        organisation = Organisation(name=org)
        db.session.add(organisation)
        db.session.flush()
        board.claim(users["envoy"], initiative.id, partner.id, organisation.id)
    db.session.commit()
    response = post(
        client,
        admin_auth,
        f"/admin/role-types/{partner.id}",
        {f"role-{partner.id}-name": "Partner", f"role-{partner.id}-max_holders": "1"},
    )
    assert response.status_code == 409
    page = page_text(response)
    reason = (
        "1 initiative has more than 1 holder of Partner (“Cross-agency data sharing” has 2); "
        "release claims first"
    )
    assert f'id="role-{partner.id}-max_holders-error">{reason}' in page
    assert f'<a href="#role-{partner.id}-max_holders">' in page


def test_bad_wip_limit_is_named_at_its_field(client, admin_auth, the_board):
    s = the_board.stages[0]
    response = post(
        client,
        admin_auth,
        f"/admin/stages/{s.id}",
        {f"stage-{s.id}-name": "Proposed", f"stage-{s.id}-wip_limit": "0"},
    )
    assert response.status_code == 422
    assert f'id="stage-{s.id}-wip_limit-error"' in page_text(response)


def test_create_a_board_from_the_page(client, admin_auth):
    response = post(
        client, admin_auth, "/admin/boards", {"board-name": "Skills", "board-defaults": "y"}
    )
    assert response.status_code == 302
    page = page_text(client.get(response.headers["Location"]))
    assert "Shape of “Skills”" in page and "Detailed discussions" in page


# --- tokens, account and the audit log ----------------------------------------------------


def test_account_page_lists_own_tokens_with_name_created_and_last_used(client, auth, users):
    member = users["member"]
    token = make_token(member)
    make_token(users["viewer"])
    client.get("/api/v1/boards", headers={"Authorization": f"Bearer {token}"})
    auth.login(member)
    page = page_text(client.get("/account"))
    assert page.count("<td>personal token</td>") == 1  # theirs, not the viewer's
    assert "Never" not in page  # it has been used
    response = post(client, auth, "/account/tokens", {"token-name": "Power BI"})
    assert response.status_code == 201
    secret = re.search(r'id="new-token" type="text" readonly value="([^"]+)"', page_text(response))[
        1
    ]
    assert (
        client.get("/api/v1/boards", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    assert "Power BI" in page_text(client.get("/account"))


def test_member_cannot_revoke_someone_elses_token(client, auth, users):
    make_token(users["viewer"])
    token_id = db.session.scalar(sa.select(ApiToken.id))
    auth.login(users["member"])
    response = post(client, auth, f"/account/tokens/{token_id}/revoke")
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(ApiToken, token_id).revoked_at is None


def test_admin_tokens_page_lists_everyones_tokens(client, admin_auth, users):
    make_token(users["viewer"])
    make_token(users["member"])
    page = page_text(client.get("/admin/tokens"))
    assert users["viewer"].name in page and users["member"].name in page


def test_audit_page_filters(client, admin_auth, users, the_board):
    post(client, admin_auth, "/admin/organisations", {"new-name": "Alpha"})
    post(client, admin_auth, f"/admin/boards/{the_board.id}/stages", {"new-stage-name": "Scale-up"})
    everything = page_text(client.get("/admin/audit"))
    assert "2 entries" in everything
    only_stages = page_text(client.get("/admin/audit?action=stage."))
    assert "1 entry" in only_stages and "Added stage “Scale-up”" in only_stages
    by_text = page_text(client.get("/admin/audit?q=alpha"))
    assert "Created organisation “Alpha”" in by_text and "Scale-up" not in by_text
    by_actor = page_text(client.get(f"/admin/audit?actor={users['admin'].id}"))
    assert "2 entries" in by_actor
    # Only people who appear in the log can be chosen.
    nobody = client.get(f"/admin/audit?actor={users['envoy'].id}")
    assert nobody.status_code == 422 and 'id="actor-error"' in page_text(nobody)
    bad_date = client.get("/admin/audit?since=yesterday")
    assert bad_date.status_code == 422 and 'id="since-error"' in page_text(bad_date)
