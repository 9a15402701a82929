"""Who may call what over the API: the brief's permission table, endpoint by endpoint.

Every account role (and an anonymous caller) × every API endpoint, with the status the table
says. A refused call answers with the error shape and leaves the database exactly as it was; an
allowed change appends exactly one event. Bearer tokens throughout, and then the browser's
cookie path, which needs the CSRF token on unsafe calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import AuthActions, last_seq
from tracker import api_tokens, board
from tracker.board import matching
from tracker.extensions import db
from tracker.models import (
    Board,
    BoardFollow,
    Claim,
    Event,
    Initiative,
    Notification,
    Organisation,
    User,
)

ROLES = ("admin", "envoy", "member", "viewer", "anonymous")
ERROR_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
}


@dataclass
class World:
    """The board as the matrix needs it. The member belongs to Police; everyone else to LEP.

    - `foreign`: proposed by LEP, Police has no role on it;
    - `proposed`: proposed by Police;
    - `involved`: proposed by LEP, Police holds Partner on it (`police_claim`);
    - `lep_claim`: LEP holds Partner on `foreign`;
    - `police_request`, `bre_request`, `police_interest`: see below (issue 15).
    """

    board: Board
    users: dict[str, User]
    tokens: dict[str, str]
    lep: int
    police: int
    bre: int
    foreign: int
    proposed: int
    involved: int
    police_claim: int
    lep_claim: int
    lead: int
    partner: int
    # Exclusive and claimed (Lead is by request); Funder and Executive sponsor by request.
    evaluator: int
    funder: int
    # Police's open request for Executive sponsor on `foreign`; BRE's (asked by the envoy) on
    # `proposed`, which Police leads; Police's open interest in `foreign`.
    challenge: int
    stage: int
    police_request: int = 0
    bre_request: int = 0
    police_interest: int = 0

    def version(self, initiative_id: int) -> int:
        db.session.expire_all()
        return db.session.scalar(
            sa.select(Initiative.version).where(Initiative.id == initiative_id)
        )

    def archived(self, initiative_id: int) -> int:
        """Archive the initiative (by the envoy, committed) and return its id."""
        board.archive(self.users["envoy"], initiative_id, self.version(initiative_id))
        db.session.commit()
        return initiative_id


def make_world(the_board: Board, users: dict[str, User]) -> World:
    """The matrix's board; the other API test modules build theirs with it too."""
    envoy, member = users["envoy"], users["member"]
    bre = factories.make_organisation("BRE Group")
    lead = factories.role_type(the_board, "Lead").id
    partner = factories.role_type(the_board, "Partner").id
    ageing = factories.challenge(the_board)

    # Domain operations with one commit at the end: this runs before every API test.
    def propose(actor: User, title: str) -> Initiative:
        return board.propose(
            actor, the_board.id, {"title": title, "grand_challenge_id": ageing}
        ).value

    foreign = propose(envoy, "Foreign")
    proposed = propose(member, "Proposed by Police")
    involved = propose(envoy, "Police is a partner")
    police_claim = board.claim(envoy, involved.id, partner, member.organisation_id).value
    lep_claim = board.claim(envoy, foreign.id, partner, envoy.organisation_id).value
    tokens = {role: api_tokens.create_token(user) for role, user in users.items()}
    db.session.commit()
    assert proposed.proposing_organisation_id == member.organisation_id
    return World(
        board=the_board,
        users=users,
        tokens=tokens,
        lep=envoy.organisation_id,
        police=member.organisation_id,
        bre=bre.id,
        foreign=foreign.id,
        proposed=proposed.id,
        involved=involved.id,
        police_claim=police_claim.id,
        lep_claim=lep_claim.id,
        lead=lead,
        partner=partner,
        evaluator=factories.role_type(the_board, "Evaluator").id,
        funder=factories.role_type(the_board, "Funder").id,
        challenge=factories.challenge(the_board, "Clean Growth"),
        stage=factories.stage(the_board, "Exploring"),
    )


@pytest.fixture
def world(the_board: Board, users: dict[str, User]) -> World:
    """`make_world`, with the requests and the interest the matrix decides on (issue 15)."""
    made = make_world(the_board, users)
    member, envoy = users["member"], users["envoy"]
    executive = factories.role_type(the_board, "Executive sponsor").id
    made.police_request = matching.request_role(
        member, made.foreign, executive, made.police, "We can sponsor it."
    ).value.id
    made.bre_request = matching.request_role(
        envoy, made.proposed, executive, made.bre, "BRE could sponsor it."
    ).value.id
    made.police_interest = matching.register_interest(
        member, made.foreign, made.police, "We'd like to join the discussions."
    ).value.id
    db.session.commit()
    return made


Request = tuple[str, str, dict[str, Any] | None]


def _edit(which: str) -> Callable[[World], Request]:
    def request(w: World) -> Request:
        initiative = getattr(w, which)
        return (
            "PATCH",
            f"/api/v1/initiatives/{initiative}",
            {
                "version": w.version(initiative),
                "summary": "Edited over the API",
            },
        )

    return request


def _move(which: str) -> Callable[[World], Request]:
    def request(w: World) -> Request:
        initiative = getattr(w, which)
        return (
            "POST",
            f"/api/v1/initiatives/{initiative}/move",
            {
                "stage_id": w.stage,
                "position": 0,
                "version": w.version(initiative),
            },
        )

    return request


def _archive(which: str) -> Callable[[World], Request]:
    def request(w: World) -> Request:
        initiative = getattr(w, which)
        return (
            "POST",
            f"/api/v1/initiatives/{initiative}/archive",
            {"version": w.version(initiative)},
        )

    return request


def _restore(which: str) -> Callable[[World], Request]:
    def request(w: World) -> Request:
        initiative = w.archived(getattr(w, which))
        return (
            "POST",
            f"/api/v1/initiatives/{initiative}/restore",
            {"version": w.version(initiative)},
        )

    return request


REQUESTS: dict[str, Callable[[World], Request]] = {
    "list_organisations": lambda w: ("GET", "/api/v1/organisations", None),
    "list_boards": lambda w: ("GET", "/api/v1/boards", None),
    "get_board": lambda w: ("GET", f"/api/v1/boards/{w.board.id}", None),
    "propose_for_own_organisation": lambda w: (
        "POST",
        f"/api/v1/boards/{w.board.id}/initiatives",
        {"title": "Smart streetlights", "grand_challenge_id": w.challenge},
    ),
    "propose_for_another_organisation": lambda w: (
        "POST",
        f"/api/v1/boards/{w.board.id}/initiatives",
        {
            "title": "Smart streetlights",
            "grand_challenge_id": w.challenge,
            "proposing_organisation_id": w.bre,
        },
    ),
    "get_initiative": lambda w: ("GET", f"/api/v1/initiatives/{w.foreign}", None),
    "edit_foreign_initiative": _edit("foreign"),
    "edit_initiative_police_proposed": _edit("proposed"),
    "edit_initiative_police_holds_a_role_on": _edit("involved"),
    "move_foreign_initiative": _move("foreign"),
    "move_initiative_police_proposed": _move("proposed"),
    "move_initiative_police_holds_a_role_on": _move("involved"),
    "archive_foreign_initiative": _archive("foreign"),
    "archive_initiative_police_proposed": _archive("proposed"),
    "restore_archived_initiative": _restore("foreign"),
    "claim_for_police": lambda w: (
        "POST",
        f"/api/v1/initiatives/{w.foreign}/claims",
        {"role_type_id": w.evaluator, "organisation_id": w.police},
    ),
    # Lead is agreed by request: members ask; envoys and admins may still place someone.
    "claim_lead_for_police": lambda w: (
        "POST",
        f"/api/v1/initiatives/{w.foreign}/claims",
        {"role_type_id": w.lead, "organisation_id": w.police},
    ),
    "claim_for_bre": lambda w: (
        "POST",
        f"/api/v1/initiatives/{w.foreign}/claims",
        {"role_type_id": w.lead, "organisation_id": w.bre},
    ),
    "claim_without_naming_the_organisation": lambda w: (
        "POST",
        f"/api/v1/initiatives/{w.foreign}/claims",
        {"role_type_id": w.evaluator},
    ),
    # Issue 15: roles wanted, requests, interests. Police leads `proposed` (it proposed it and
    # nobody holds Lead), not `foreign`.
    "get_matching": lambda w: ("GET", f"/api/v1/initiatives/{w.foreign}/matching", None),
    "want_a_role_where_police_leads": lambda w: (
        "PUT",
        f"/api/v1/initiatives/{w.proposed}/wanted/{w.funder}",
        {"brief": "Funder wanted: £40k for a pilot"},
    ),
    "want_a_role_where_police_does_not_lead": lambda w: (
        "PUT",
        f"/api/v1/initiatives/{w.foreign}/wanted/{w.funder}",
        {"brief": "Funder wanted"},
    ),
    "withdraw_a_wanted_role_never_wanted": lambda w: (
        "DELETE",
        f"/api/v1/initiatives/{w.proposed}/wanted/{w.funder}",
        None,
    ),
    "request_lead_for_own_organisation": lambda w: (
        "POST",
        f"/api/v1/initiatives/{w.foreign}/requests",
        {"role_type_id": w.lead, "message": "We can lead it."},
    ),
    "request_lead_for_bre": lambda w: (
        "POST",
        f"/api/v1/initiatives/{w.foreign}/requests",
        {"role_type_id": w.lead, "organisation_id": w.bre, "message": "BRE can lead it."},
    ),
    "approve_a_request_where_police_does_not_lead": lambda w: (
        "POST",
        f"/api/v1/requests/{w.police_request}/approve",
        None,
    ),
    "approve_a_request_where_police_leads": lambda w: (
        "POST",
        f"/api/v1/requests/{w.bre_request}/approve",
        None,
    ),
    "decline_a_request_where_police_leads": lambda w: (
        "POST",
        f"/api/v1/requests/{w.bre_request}/decline",
        {"reason": "We have a sponsor."},
    ),
    "withdraw_polices_request": lambda w: (
        "POST",
        f"/api/v1/requests/{w.police_request}/withdraw",
        None,
    ),
    "register_interest_for_own_organisation": lambda w: (
        "POST",
        f"/api/v1/initiatives/{w.proposed}/interests",
        {"message": "Interested."},
    ),
    "invite_polices_interest": lambda w: (
        "POST",
        f"/api/v1/interests/{w.police_interest}/invite",
        {"role_type_id": w.evaluator},
    ),
    "close_polices_interest": lambda w: (
        "POST",
        f"/api/v1/interests/{w.police_interest}/close",
        {"reason": "Covered."},
    ),
    "accept_an_interest_not_invited": lambda w: (
        "POST",
        f"/api/v1/interests/{w.police_interest}/accept",
        None,
    ),
    "decline_an_interest_not_invited": lambda w: (
        "POST",
        f"/api/v1/interests/{w.police_interest}/decline",
        {},
    ),
    "release_police_claim": lambda w: ("DELETE", f"/api/v1/claims/{w.police_claim}", None),
    "release_lep_claim": lambda w: ("DELETE", f"/api/v1/claims/{w.lep_claim}", None),
    "comment": lambda w: (
        "POST",
        f"/api/v1/initiatives/{w.foreign}/comments",
        {"body": "Met the CTOs today."},
    ),
    "list_events": lambda w: ("GET", f"/api/v1/boards/{w.board.id}/events?since=0", None),
    "list_notifications": lambda w: ("GET", "/api/v1/notifications", None),
    "mark_all_notifications_read": lambda w: ("POST", "/api/v1/notifications/read", None),
    "mark_someone_elses_notification_read": lambda w: (
        "POST",
        f"/api/v1/notifications/{_someone_elses_notification(w)}/read",
        None,
    ),
    "watch_initiative": lambda w: (
        "PUT",
        f"/api/v1/initiatives/{w.foreign}/watch",
        {"watching": True},
    ),
    "list_follows": lambda w: ("GET", f"/api/v1/boards/{w.board.id}/follows", None),
    "follow_board": lambda w: ("POST", f"/api/v1/boards/{w.board.id}/follows", {}),
    "unfollow_someone_elses_follow": lambda w: (
        "DELETE",
        f"/api/v1/follows/{_someone_elses_follow(w)}",
        None,
    ),
    "mentionable": lambda w: ("GET", "/api/v1/mentionable?q=e", None),
}

# What writes no board event (a person's own notifications, watches and follows).
NO_EVENT = {
    "mark_all_notifications_read",
    "watch_initiative",
    "follow_board",
}


def _outsider(w: World) -> User:
    """Someone of none of the four roles' accounts, of another organisation."""
    person = db.session.scalar(sa.select(User).where(User.email == "outsider@example.org"))
    if person is None:
        person = factories.make_user("envoy", db.session.get(Organisation, w.bre))
        person.email = "outsider@example.org"
        db.session.commit()
    return person


def _someone_elses_notification(w: World) -> int | str:
    if not isinstance(w, World):  # `_shape`: the endpoint, not a row
        return "N"
    event_id = db.session.scalar(sa.select(Event.id).order_by(Event.id.desc()).limit(1))
    notification = Notification(user_id=_outsider(w).id, event_id=event_id, reason="following")
    db.session.add(notification)
    db.session.commit()
    return notification.id


def _someone_elses_follow(w: World) -> int | str:
    if not isinstance(w, World):
        return "F"
    follow = BoardFollow(user_id=_outsider(w).id, board_id=w.board.id)
    db.session.add(follow)
    db.session.commit()
    return follow.id


# The brief's permission table, per endpoint. The member belongs to Police; "foreign" is an
# initiative Police neither proposed nor holds a role on.
MATRIX: dict[str, tuple[int, int, int, int, int]] = {
    #                                          admin envoy member viewer anonymous
    "list_organisations":                     (200,  200,  200,   200,   401),
    "list_boards":                            (200,  200,  200,   200,   401),
    "get_board":                              (200,  200,  200,   200,   401),
    "propose_for_own_organisation":           (201,  201,  201,   403,   401),
    "propose_for_another_organisation":       (201,  201,  403,   403,   401),
    "get_initiative":                         (200,  200,  200,   200,   401),
    "edit_foreign_initiative":                (200,  200,  403,   403,   401),
    "edit_initiative_police_proposed":        (200,  200,  200,   403,   401),
    "edit_initiative_police_holds_a_role_on": (200,  200,  200,   403,   401),
    "move_foreign_initiative":                (200,  200,  403,   403,   401),
    "move_initiative_police_proposed":        (200,  200,  200,   403,   401),
    "move_initiative_police_holds_a_role_on": (200,  200,  200,   403,   401),
    "archive_foreign_initiative":             (200,  200,  403,   403,   401),
    "archive_initiative_police_proposed":     (200,  200,  403,   403,   401),
    "restore_archived_initiative":            (200,  200,  403,   403,   401),
    "claim_for_police":                       (201,  201,  201,   403,   401),
    "claim_lead_for_police":                  (201,  201,  403,   403,   401),
    "claim_for_bre":                          (201,  201,  403,   403,   401),
    "claim_without_naming_the_organisation":  (201,  201,  201,   403,   401),
    "get_matching":                           (200,  200,  200,   200,   401),
    "want_a_role_where_police_leads":         (201,  201,  201,   403,   401),
    "want_a_role_where_police_does_not_lead": (201,  201,  403,   403,   401),
    "withdraw_a_wanted_role_never_wanted":    (409,  409,  409,   403,   401),
    "request_lead_for_own_organisation":      (201,  201,  201,   403,   401),
    "request_lead_for_bre":                   (201,  201,  403,   403,   401),
    "approve_a_request_where_police_does_not_lead": (201, 201, 403, 403,  401),
    "approve_a_request_where_police_leads":   (201,  201,  201,   403,   401),
    "decline_a_request_where_police_leads":   (200,  200,  200,   403,   401),
    "withdraw_polices_request":               (200,  200,  200,   403,   401),
    # Police proposed it, so leads it: it has no interest to register.
    "register_interest_for_own_organisation": (201,  201,  409,   403,   401),
    "invite_polices_interest":                (200,  200,  403,   403,   401),
    "close_polices_interest":                 (200,  200,  403,   403,   401),
    # Permission first: Police (and envoys and admins, who act for any organisation) may
    # accept or decline, but it is not invited yet.
    "accept_an_interest_not_invited":         (409,  409,  409,   403,   401),
    "decline_an_interest_not_invited":        (409,  409,  409,   403,   401),
    "release_police_claim":                   (204,  204,  204,   403,   401),
    "release_lep_claim":                      (204,  204,  403,   403,   401),
    "comment":                                (201,  201,  201,   403,   401),
    "list_events":                            (200,  200,  200,   200,   401),
    # A person's own notifications, watches and follows; someone else's do not exist for them.
    "list_notifications":                     (200,  200,  200,   200,   401),
    "mark_all_notifications_read":            (200,  200,  200,   200,   401),
    "mark_someone_elses_notification_read":   (404,  404,  404,   404,   401),
    "watch_initiative":                       (200,  200,  200,   200,   401),
    "list_follows":                           (200,  200,  200,   200,   401),
    "follow_board":                           (201,  201,  403,   403,   401),
    "unfollow_someone_elses_follow":          (404,  404,  404,   404,   401),
    "mentionable":                            (200,  200,  200,   200,   401),
}  # fmt: skip

CASES = [
    pytest.param(endpoint, role, status, id=f"{endpoint}-{role}-{status}")
    for endpoint, statuses in MATRIX.items()
    for role, status in zip(ROLES, statuses, strict=True)
]


def table_rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (API tokens aside: using one stamps `last_used_at`)."""
    db.session.expire_all()
    return {
        table.name: sorted((tuple(row) for row in db.session.execute(sa.select(table))), key=repr)
        for table in db.metadata.sorted_tables
        if table.name != "api_tokens"
    }


def assert_error_shape(response: Any, status: int) -> dict[str, Any]:
    body = response.get_json()
    assert response.status_code == status, body
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]  # type: ignore[no-any-return]


def call(client: FlaskClient, request: Request, headers: dict[str, str]) -> Any:
    method, url, body = request
    return client.open(url, method=method, json=body, headers=headers)


def test_permission_matrix_covers_every_endpoint() -> None:
    assert set(MATRIX) == set(REQUESTS)
    # Every endpoint of the API appears at least once.
    templates = {(method, url.split("?")[0]) for method, url, _ in map(_shape, REQUESTS)}
    assert templates == {
        ("GET", "/api/v1/organisations"),
        ("GET", "/api/v1/boards"),
        ("GET", "/api/v1/boards/B"),
        ("POST", "/api/v1/boards/B/initiatives"),
        ("GET", "/api/v1/initiatives/I"),
        ("PATCH", "/api/v1/initiatives/I"),
        ("POST", "/api/v1/initiatives/I/move"),
        ("POST", "/api/v1/initiatives/I/archive"),
        ("POST", "/api/v1/initiatives/I/restore"),
        ("POST", "/api/v1/initiatives/I/claims"),
        ("DELETE", "/api/v1/claims/C"),
        ("POST", "/api/v1/initiatives/I/comments"),
        ("GET", "/api/v1/boards/B/events"),
        ("GET", "/api/v1/notifications"),
        ("POST", "/api/v1/notifications/read"),
        ("POST", "/api/v1/notifications/N/read"),
        ("PUT", "/api/v1/initiatives/I/watch"),
        ("GET", "/api/v1/boards/B/follows"),
        ("POST", "/api/v1/boards/B/follows"),
        ("DELETE", "/api/v1/follows/F"),
        ("GET", "/api/v1/mentionable"),
        ("GET", "/api/v1/initiatives/I/matching"),
        ("PUT", "/api/v1/initiatives/I/wanted/T"),
        ("DELETE", "/api/v1/initiatives/I/wanted/T"),
        ("POST", "/api/v1/initiatives/I/requests"),
        ("POST", "/api/v1/requests/R/approve"),
        ("POST", "/api/v1/requests/R/decline"),
        ("POST", "/api/v1/requests/R/withdraw"),
        ("POST", "/api/v1/initiatives/I/interests"),
        ("POST", "/api/v1/interests/X/invite"),
        ("POST", "/api/v1/interests/X/accept"),
        ("POST", "/api/v1/interests/X/decline"),
        ("POST", "/api/v1/interests/X/close"),
    }


def _shape(endpoint: str) -> Request:
    """The request with its ids replaced by letters, to compare endpoints, not rows."""

    class Ids:
        board = type("B", (), {"id": "B"})()
        foreign = proposed = involved = "I"
        police_claim = lep_claim = "C"
        police_request = bre_request = "R"
        police_interest = "X"
        funder = "T"
        lep = police = bre = lead = partner = evaluator = challenge = stage = 0

        def version(self, _: object) -> int:
            return 1

        def archived(self, initiative: str) -> str:
            return initiative

    return REQUESTS[endpoint](Ids())  # type: ignore[arg-type]


@pytest.mark.parametrize(("endpoint", "role", "expected"), CASES)
def test_api_permission_matrix(
    client: FlaskClient, world: World, endpoint: str, role: str, expected: int
) -> None:
    request = REQUESTS[endpoint](world)
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {world.tokens[role]}"}
    seq_before = last_seq(world.board.id)
    rows_before = table_rows()

    response = call(client, request, headers)

    assert response.status_code == expected, response.get_data(as_text=True)
    if expected >= 400:
        error = assert_error_shape(response, expected)
        assert error["code"] == ERROR_CODES[expected]
        assert table_rows() == rows_before
        assert last_seq(world.board.id) == seq_before
    elif request[0] == "GET":
        assert last_seq(world.board.id) == seq_before
    else:
        assert last_seq(world.board.id) == seq_before + (0 if endpoint in NO_EVENT else 1)
    if expected == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_member_claim_defaults_to_its_own_organisation(client: FlaskClient, world: World) -> None:
    response = client.post(
        f"/api/v1/initiatives/{world.foreign}/claims",
        json={"role_type_id": world.evaluator},
        headers={"Authorization": f"Bearer {world.tokens['member']}"},
    )
    assert response.status_code == 201
    assert response.get_json()["organisation_id"] == world.police


def test_member_proposal_is_proposed_by_its_own_organisation(
    client: FlaskClient, world: World
) -> None:
    response = client.post(
        f"/api/v1/boards/{world.board.id}/initiatives",
        json={"title": "Police drones", "grand_challenge_id": world.challenge},
        headers={"Authorization": f"Bearer {world.tokens['member']}"},
    )
    assert response.status_code == 201
    assert response.get_json()["proposing_organisation_id"] == world.police


def test_member_may_edit_after_its_organisation_claims_a_role(
    client: FlaskClient, world: World
) -> None:
    member = {"Authorization": f"Bearer {world.tokens['member']}"}
    patch = lambda: client.patch(  # noqa: E731
        f"/api/v1/initiatives/{world.foreign}",
        json={"version": world.version(world.foreign), "summary": "Now ours too"},
        headers=member,
    )
    assert patch().status_code == 403
    claimed = client.post(
        f"/api/v1/initiatives/{world.foreign}/claims",
        json={"role_type_id": world.partner, "organisation_id": world.police},
        headers=member,
    )
    assert claimed.status_code == 201
    assert patch().status_code == 200


def test_viewer_changes_nothing_through_any_unsafe_call(client: FlaskClient, world: World) -> None:
    viewer = {"Authorization": f"Bearer {world.tokens['viewer']}"}
    # The requests first: making one may set the board up for it (an archived initiative).
    requests = {endpoint: make(world) for endpoint, make in REQUESTS.items()}
    # A viewer may keep their own notifications and watches (tested in the matrix).
    own = NO_EVENT - {"follow_board"} | {
        "mark_someone_elses_notification_read",
        "unfollow_someone_elses_follow",
    }
    unsafe = [e for e, request in requests.items() if request[0] != "GET" and e not in own]
    assert len(unsafe) >= 9
    rows_before = table_rows()
    for endpoint in unsafe:
        response = call(client, requests[endpoint], viewer)
        assert assert_error_shape(response, 403)["code"] == "forbidden", endpoint
    assert table_rows() == rows_before


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-token", "Bearer ", "Basic dXNlcjpwYXNz", "trk_no_scheme"],
    ids=["unknown-token", "empty-token", "basic-scheme", "no-scheme"],
)
def test_api_refuses_a_bad_authorization_header(
    client: FlaskClient, world: World, authorization: str
) -> None:
    response = client.get("/api/v1/boards", headers={"Authorization": authorization})
    assert assert_error_shape(response, 401)["code"] == "unauthenticated"


def test_api_refuses_a_token_of_a_deactivated_user(client: FlaskClient, world: World) -> None:
    world.users["envoy"].active = False
    db.session.commit()
    response = client.get(
        "/api/v1/boards", headers={"Authorization": f"Bearer {world.tokens['envoy']}"}
    )
    assert assert_error_shape(response, 401)["code"] == "unauthenticated"


def test_api_refuses_users_of_a_deactivated_organisation(client: FlaskClient, world: World) -> None:
    db.session.get(Organisation, world.police).active = False  # type: ignore[union-attr]
    db.session.commit()
    response = client.get(
        "/api/v1/boards", headers={"Authorization": f"Bearer {world.tokens['member']}"}
    )
    assert response.status_code == 401


# --- the browser's cookie path ------------------------------------------------------------


def test_cookie_session_reads_without_a_csrf_token(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login(world.users["member"])
    response = client.get(f"/api/v1/boards/{world.board.id}")
    assert response.status_code == 200
    assert response.get_json()["id"] == world.board.id


@pytest.mark.parametrize(
    "endpoint", ["comment", "edit_initiative_police_proposed", "release_police_claim"]
)
def test_cookie_session_unsafe_call_without_csrf_token_is_refused(
    client: FlaskClient, auth: AuthActions, world: World, endpoint: str
) -> None:
    auth.login(world.users["member"])
    rows_before = table_rows()
    response = call(client, REQUESTS[endpoint](world), {})
    error = assert_error_shape(response, 400)
    assert error["code"] == "csrf_failed"
    assert "X-CSRFToken" in error["fields"]
    assert table_rows() == rows_before


def test_cookie_session_unsafe_call_with_a_wrong_csrf_token_is_refused(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login(world.users["member"])
    seq_before = last_seq(world.board.id)
    response = call(client, REQUESTS["comment"](world), {"X-CSRFToken": "forged"})
    assert assert_error_shape(response, 400)["code"] == "csrf_failed"
    assert last_seq(world.board.id) == seq_before


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("comment", 201),
        ("edit_initiative_police_proposed", 200),
        ("move_initiative_police_holds_a_role_on", 200),
        ("release_police_claim", 204),
        ("claim_for_police", 201),
        ("propose_for_own_organisation", 201),
    ],
)
def test_cookie_session_unsafe_call_with_csrf_token_succeeds(
    client: FlaskClient, auth: AuthActions, world: World, endpoint: str, expected: int
) -> None:
    auth.login(world.users["member"])
    token = auth.csrf_token("/")
    seq_before = last_seq(world.board.id)
    response = call(client, REQUESTS[endpoint](world), {"X-CSRFToken": token})
    assert response.status_code == expected, response.get_data(as_text=True)
    assert last_seq(world.board.id) == seq_before + 1


def test_cookie_session_with_csrf_token_still_obeys_the_permission_table(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login(world.users["member"])
    token = auth.csrf_token("/")
    rows_before = table_rows()
    for endpoint in ("edit_foreign_initiative", "claim_for_bre", "release_lep_claim"):
        response = call(client, REQUESTS[endpoint](world), {"X-CSRFToken": token})
        assert assert_error_shape(response, 403)["code"] == "forbidden", endpoint
    assert table_rows() == rows_before


def test_cookie_session_ends_at_sign_out(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login(world.users["envoy"])
    assert client.get("/api/v1/boards").status_code == 200
    auth.logout()
    assert assert_error_shape(client.get("/api/v1/boards"), 401)["code"] == "unauthenticated"


def test_bearer_token_needs_no_csrf_token(client: FlaskClient, world: World) -> None:
    response = call(
        client,
        REQUESTS["comment"](world),
        {"Authorization": f"Bearer {world.tokens['member']}"},
    )
    assert response.status_code == 201


def test_claims_listed_as_released_are_gone(client: FlaskClient, world: World) -> None:
    response = client.delete(
        f"/api/v1/claims/{world.police_claim}",
        headers={"Authorization": f"Bearer {world.tokens['member']}"},
    )
    assert response.status_code == 204
    assert response.get_data() == b""
    db.session.expire_all()
    assert db.session.get(Claim, world.police_claim) is None
