"""The JSON API: what it answers, conflicts over HTTP, and the event log it serves.

Permissions are in test_permissions.py, bad input in test_api_bad_input.py, the OpenAPI
document in test_openapi_schemathesis.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from tests import factories
from tests.api.test_permissions import World, assert_error_shape, make_world, table_rows
from tests.conftest import last_seq
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import Board, Claim, Initiative, User
from tracker.operations import date_field


@pytest.fixture
def world(the_board: Board, users: dict[str, User]) -> World:
    return make_world(the_board, users)


class Api:
    """A client speaking for one user with a bearer token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url: str) -> Any:
        return self.client.get(url, headers=self.headers)

    def post(self, url: str, body: dict[str, Any]) -> Any:
        return self.client.post(url, json=body, headers=self.headers)

    def patch(self, url: str, body: dict[str, Any]) -> Any:
        return self.client.patch(url, json=body, headers=self.headers)

    def delete(self, url: str) -> Any:
        return self.client.delete(url, headers=self.headers)


@pytest.fixture
def envoy(client: FlaskClient, world: World) -> Api:
    return Api(client, world.tokens["envoy"])


@pytest.fixture
def member(client: FlaskClient, world: World) -> Api:
    return Api(client, world.tokens["member"])


def _db_initiative(initiative_id: int) -> Initiative:
    db.session.expire_all()
    initiative = db.session.get(Initiative, initiative_id)
    assert initiative is not None
    return initiative


# --- reading ------------------------------------------------------------------------------


def test_api_lists_organisations_by_name(envoy: Api, world: World) -> None:
    response = envoy.get("/api/v1/organisations")
    assert response.status_code == 200
    names = [o["name"] for o in response.get_json()]
    assert names == sorted(names)
    assert {"The LEP", "Police", "BRE Group"} <= set(names)
    assert all(set(o) == {"id", "name", "short_name", "active"} for o in response.get_json())
    # No short name set: null (cards show the name).
    assert {o["short_name"] for o in response.get_json()} == {None}


def test_api_board_carries_stages_swimlanes_roles_cards_and_last_seq(
    envoy: Api, world: World
) -> None:
    response = envoy.get(f"/api/v1/boards/{world.board.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert [s["name"] for s in body["stages"]][:2] == ["Proposed", "Exploring"]
    assert len(body["stages"]) == 8
    assert [g["name"] for g in body["grand_challenges"]] == [
        "Ageing Society",
        "AI and Data Economy",
        "Clean Growth",
        "Future of Mobility",
    ]
    roles = {r["name"]: r for r in body["role_types"]}
    assert roles["Lead"]["exclusive"] is True and roles["Lead"]["max_holders"] == 1
    assert roles["Partner"]["exclusive"] is False and roles["Partner"]["max_holders"] is None
    cards = {c["id"]: c for c in body["initiatives"]}
    assert set(cards) == {world.foreign, world.proposed, world.involved}
    assert [c["organisation_id"] for c in cards[world.involved]["claims"]] == [world.police]
    assert body["last_seq"] == last_seq(world.board.id) == 5


def test_api_board_leaves_out_archived_initiatives(envoy: Api, world: World) -> None:
    archived = envoy.post(
        f"/api/v1/initiatives/{world.foreign}/archive", {"version": world.version(world.foreign)}
    )
    assert archived.status_code == 200
    assert archived.get_json()["archived"] is True
    cards = envoy.get(f"/api/v1/boards/{world.board.id}").get_json()["initiatives"]
    assert world.foreign not in {c["id"] for c in cards}
    # Still readable on its own, marked archived.
    assert envoy.get(f"/api/v1/initiatives/{world.foreign}").get_json()["archived"] is True


def test_api_initiative_carries_claims_and_comments(envoy: Api, world: World) -> None:
    assert (
        envoy.post(f"/api/v1/initiatives/{world.involved}/comments", {"body": "First"}).status_code
        == 201
    )
    assert (
        envoy.post(f"/api/v1/initiatives/{world.involved}/comments", {"body": "Second"}).status_code
        == 201
    )
    body = envoy.get(f"/api/v1/initiatives/{world.involved}").get_json()
    assert body["id"] == world.involved
    assert [c["body"] for c in body["comments"]] == ["First", "Second"]
    assert body["comments"][0]["organisation"] == "The LEP"
    assert [(c["role"], c["organisation"]) for c in body["claims"]] == [("Partner", "Police")]


def test_api_boards_lists_every_board(envoy: Api, world: World) -> None:
    second = factories.make_board("Second programme")
    db.session.commit()
    boards = envoy.get("/api/v1/boards").get_json()
    assert [(b["id"], b["name"]) for b in boards] == [
        (world.board.id, world.board.name),
        (second.id, "Second programme"),
    ]


# --- changing -----------------------------------------------------------------------------


def test_api_propose_answers_201_with_the_new_initiative(envoy: Api, world: World) -> None:
    response = envoy.post(
        f"/api/v1/boards/{world.board.id}/initiatives",
        {
            "title": "  Smart streetlights ",
            "grand_challenge_id": world.challenge,
            "next_step_due": "2026-12-01",
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    stored = _db_initiative(body["id"])
    assert body["title"] == stored.title == "Smart streetlights"
    assert body["version"] == stored.version == 1
    assert body["stage_id"] == factories.stage(world.board, "Proposed")
    assert body["next_step_due"] == "2026-12-01"
    assert body["proposing_organisation_id"] == world.lep
    assert body["claims"] == []


@pytest.mark.parametrize("day", ["2026-W48", "2026-W48-3", "20261130", "2026-11-3", "30/11/2026"])
def test_api_refuses_a_due_date_not_written_as_a_day(envoy: Api, world: World, day: str) -> None:
    """Python reads "2026-W48" as that week's Monday: a week is not a due date."""
    before = _db_initiative(world.foreign).version
    response = envoy.patch(
        f"/api/v1/initiatives/{world.foreign}", {"version": before, "next_step_due": day}
    )
    assert response.status_code == 422
    assert "next_step_due" in response.get_json()["error"]["fields"]
    assert _db_initiative(world.foreign).version == before
    with pytest.raises(Invalid) as refused:
        date_field(day, "next_step_due")  # what the pages and sockets reach
    assert refused.value.fields == {"next_step_due": "must be a date as YYYY-MM-DD"}


def test_api_edit_changes_fields_and_the_version(envoy: Api, world: World) -> None:
    response = envoy.patch(
        f"/api/v1/initiatives/{world.foreign}",
        {"version": 1, "title": "Renamed", "next_step": "Call the council"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["title"], body["next_step"], body["version"]) == ("Renamed", "Call the council", 2)
    stored = _db_initiative(world.foreign)
    assert (stored.title, stored.version) == ("Renamed", 2)


def test_api_edit_that_changes_nothing_writes_nothing(envoy: Api, world: World) -> None:
    title = _db_initiative(world.foreign).title
    seq = last_seq(world.board.id)
    response = envoy.patch(f"/api/v1/initiatives/{world.foreign}", {"version": 1, "title": title})
    assert response.status_code == 200
    assert response.get_json()["version"] == 1
    assert last_seq(world.board.id) == seq


def test_api_move_puts_the_card_at_the_position(envoy: Api, world: World) -> None:
    exploring = factories.stage(world.board, "Exploring")
    first = envoy.post(
        f"/api/v1/initiatives/{world.proposed}/move",
        {"stage_id": exploring, "position": 0, "version": 1},
    )
    assert first.status_code == 200
    second = envoy.post(
        f"/api/v1/initiatives/{world.foreign}/move",
        {"stage_id": exploring, "position": 0, "version": 1},
    )
    assert second.status_code == 200
    assert (second.get_json()["stage_id"], second.get_json()["position"]) == (exploring, 0)
    assert _db_initiative(world.proposed).position == 1
    assert _db_initiative(world.foreign).version == 2


def test_api_move_past_the_end_puts_the_card_last(envoy: Api, world: World) -> None:
    exploring = factories.stage(world.board, "Exploring")
    response = envoy.post(
        f"/api/v1/initiatives/{world.foreign}/move",
        {"stage_id": exploring, "position": 99, "version": 1},
    )
    assert response.status_code == 200
    assert response.get_json()["position"] == 0


def test_api_claim_answers_201_with_the_claim(envoy: Api, world: World) -> None:
    response = envoy.post(
        f"/api/v1/initiatives/{world.foreign}/claims",
        {"role_type_id": world.lead, "organisation_id": world.bre},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["role"], body["organisation"], body["organisation_id"]) == (
        "Lead",
        "BRE Group",
        world.bre,
    )
    assert body["claimed_by"] == world.users["envoy"].name
    db.session.expire_all()
    assert db.session.get(Claim, body["id"]) is not None


def test_api_release_answers_204_and_frees_an_exclusive_role(envoy: Api, world: World) -> None:
    lead = envoy.post(
        f"/api/v1/initiatives/{world.foreign}/claims",
        {"role_type_id": world.lead, "organisation_id": world.bre},
    ).get_json()
    released = envoy.delete(f"/api/v1/claims/{lead['id']}")
    assert released.status_code == 204
    assert released.get_data() == b""
    # Released once: a second release finds nothing.
    assert assert_error_shape(envoy.delete(f"/api/v1/claims/{lead['id']}"), 404)
    again = envoy.post(
        f"/api/v1/initiatives/{world.foreign}/claims",
        {"role_type_id": world.lead, "organisation_id": world.police},
    )
    assert again.status_code == 201


def test_api_released_claim_id_is_not_given_to_a_new_claim(envoy: Api, world: World) -> None:
    bre_lead = envoy.post(
        f"/api/v1/initiatives/{world.foreign}/claims",
        {"role_type_id": world.lead, "organisation_id": world.bre},
    ).get_json()
    assert envoy.delete(f"/api/v1/claims/{bre_lead['id']}").status_code == 204
    police_lead = envoy.post(
        f"/api/v1/initiatives/{world.foreign}/claims",
        {"role_type_id": world.lead, "organisation_id": world.police},
    ).get_json()

    # A client that missed the first answer retries its release of BRE's Lead.
    retried = envoy.delete(f"/api/v1/claims/{bre_lead['id']}")

    assert retried.status_code == 404
    assert police_lead["id"] != bre_lead["id"]
    db.session.expire_all()
    assert db.session.get(Claim, police_lead["id"]) is not None


# --- conflicts ----------------------------------------------------------------------------


def _assert_conflict_with_current(
    response: Any, initiative_id: int, envoy: Api, fields: set[str]
) -> None:
    """409, `fields` naming what someone else changed since, and `current` as stored."""
    error = assert_error_shape_with_current(response)
    assert error["code"] == "conflict"
    assert set(error["fields"]) == fields
    current = response.get_json()["current"]
    stored = _db_initiative(initiative_id)
    assert current["id"] == initiative_id
    assert current["version"] == stored.version
    assert current["title"] == stored.title
    assert current["stage_id"] == stored.stage_id
    # `current` is exactly what a fresh read says.
    fresh = envoy.get(f"/api/v1/initiatives/{initiative_id}").get_json()
    fresh.pop("comments")
    assert current == fresh


def assert_error_shape_with_current(response: Any) -> dict[str, Any]:
    body = response.get_json()
    assert response.status_code == 409, body
    assert set(body) == {"error", "current"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]  # type: ignore[no-any-return]


def test_api_stale_edit_is_409_with_current_and_writes_nothing(
    envoy: Api, member: Api, world: World
) -> None:
    # The member saw version 1 of its own initiative; an envoy edits it first.
    assert (
        envoy.patch(
            f"/api/v1/initiatives/{world.proposed}", {"version": 1, "title": "Envoy's title"}
        ).status_code
        == 200
    )
    before = table_rows()
    seq = last_seq(world.board.id)

    response = member.patch(
        f"/api/v1/initiatives/{world.proposed}", {"version": 1, "title": "Member's title"}
    )

    _assert_conflict_with_current(response, world.proposed, envoy, {"title"})
    assert response.get_json()["current"]["title"] == "Envoy's title"
    assert response.get_json()["current"]["version"] == 2
    assert table_rows() == before
    assert last_seq(world.board.id) == seq


def test_api_stale_move_is_409_with_current_and_writes_nothing(
    envoy: Api, member: Api, world: World
) -> None:
    exploring = factories.stage(world.board, "Exploring")
    pilot = factories.stage(world.board, "Pilot")
    assert (
        member.post(
            f"/api/v1/initiatives/{world.involved}/move",
            {"stage_id": pilot, "position": 0, "version": 1},
        ).status_code
        == 200
    )
    before = table_rows()
    seq = last_seq(world.board.id)

    response = envoy.post(
        f"/api/v1/initiatives/{world.involved}/move",
        {"stage_id": exploring, "position": 0, "version": 1},
    )

    # Only the stage changed since version 1: the Grand Challenge and the position (0 in
    # both columns) did not, so they are not named.
    _assert_conflict_with_current(response, world.involved, envoy, {"stage_id"})
    assert response.get_json()["current"]["stage_id"] == pilot
    assert table_rows() == before
    assert last_seq(world.board.id) == seq
    assert _db_initiative(world.involved).stage_id == pilot


def test_api_stale_archive_is_409_with_current_and_writes_nothing(envoy: Api, world: World) -> None:
    # Archived by someone else since version 1; restoring from version 1 would undo that.
    assert (
        envoy.post(f"/api/v1/initiatives/{world.foreign}/archive", {"version": 1}).status_code
        == 200
    )
    before = table_rows()

    response = envoy.post(
        f"/api/v1/initiatives/{world.foreign}/archive", {"version": 1, "archived": False}
    )

    _assert_conflict_with_current(response, world.foreign, envoy, {"archived"})
    assert table_rows() == before
    assert _db_initiative(world.foreign).archived is True


def test_api_stale_archive_applies_when_the_state_was_changed_back(
    envoy: Api, world: World
) -> None:
    # Archived and restored by someone else since version 1: live then, live now.
    for version, archived in ((1, True), (2, False)):
        response = envoy.post(
            f"/api/v1/initiatives/{world.foreign}/archive",
            {"version": version, "archived": archived},
        )
        assert response.status_code == 200

    response = envoy.post(f"/api/v1/initiatives/{world.foreign}/archive", {"version": 1})

    assert response.status_code == 200
    assert response.get_json()["version"] == 4
    assert _db_initiative(world.foreign).archived is True


def test_api_stale_edit_of_other_fields_applies_without_overwriting(
    envoy: Api, member: Api, world: World
) -> None:
    """Field-level concurrency: a change made from an older version still applies when
    nobody changed the fields it touches since, and keeps what the other change wrote."""
    assert (
        envoy.patch(
            f"/api/v1/initiatives/{world.proposed}", {"version": 1, "title": "Envoy's title"}
        ).status_code
        == 200
    )

    response = member.patch(
        f"/api/v1/initiatives/{world.proposed}", {"version": 1, "summary": "Member's summary"}
    )

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["title"], body["summary"], body["version"]) == (
        "Envoy's title",
        "Member's summary",
        3,
    )
    stored = _db_initiative(world.proposed)
    assert (stored.title, stored.summary, stored.version) == (
        "Envoy's title",
        "Member's summary",
        3,
    )


def test_api_version_from_the_future_is_also_409(envoy: Api, world: World) -> None:
    before = table_rows()
    response = envoy.patch(f"/api/v1/initiatives/{world.foreign}", {"version": 5, "title": "X"})
    _assert_conflict_with_current(response, world.foreign, envoy, {"version"})
    assert table_rows() == before


def test_api_second_lead_claim_is_409_and_writes_nothing(
    envoy: Api, member: Api, world: World
) -> None:
    first = envoy.post(
        f"/api/v1/initiatives/{world.foreign}/claims",
        {"role_type_id": world.lead, "organisation_id": world.bre},
    )
    assert first.status_code == 201
    before = table_rows()
    seq = last_seq(world.board.id)

    # An envoy placing Police (members ask for Lead: it is agreed by request).
    response = envoy.post(
        f"/api/v1/initiatives/{world.foreign}/claims",
        {"role_type_id": world.lead, "organisation_id": world.police},
    )

    error = assert_error_shape(response, 409)
    assert error["code"] == "conflict"
    assert "role_type_id" in error["fields"]
    assert "BRE Group" in error["message"]
    assert table_rows() == before
    assert last_seq(world.board.id) == seq
    db.session.expire_all()
    leads = db.session.scalars(
        sa.select(Claim.organisation_id).where(
            Claim.initiative_id == world.foreign, Claim.role_type_id == world.lead
        )
    ).all()
    assert leads == [world.bre]


def test_api_same_organisation_claiming_a_role_twice_is_409(
    envoy: Api, member: Api, world: World
) -> None:
    # Police already holds Partner on `involved`; Partner has no maximum.
    before = table_rows()
    seq = last_seq(world.board.id)
    for api in (member, envoy):
        response = api.post(
            f"/api/v1/initiatives/{world.involved}/claims",
            {"role_type_id": world.partner, "organisation_id": world.police},
        )
        error = assert_error_shape(response, 409)
        assert error["code"] == "conflict"
        assert "organisation_id" in error["fields"]
    assert table_rows() == before
    assert last_seq(world.board.id) == seq


def test_api_non_exclusive_role_takes_several_organisations(envoy: Api, world: World) -> None:
    for organisation in (world.police, world.bre):
        response = envoy.post(
            f"/api/v1/initiatives/{world.foreign}/claims",
            {"role_type_id": world.partner, "organisation_id": organisation},
        )
        assert response.status_code == 201
    claims = envoy.get(f"/api/v1/initiatives/{world.foreign}").get_json()["claims"]
    assert sorted(c["organisation_id"] for c in claims if c["role"] == "Partner") == sorted(
        [world.lep, world.police, world.bre]
    )


# --- events -------------------------------------------------------------------------------

ENVELOPE = {"seq", "board_id", "type", "initiative_id", "actor", "at", "data"}


def _events(api: Api, board_id: int, query: str = "") -> Any:
    response = api.get(f"/api/v1/boards/{board_id}/events{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_api_each_change_adds_exactly_one_event_of_its_type(
    envoy: Api, member: Api, world: World
) -> None:
    board_id = world.board.id
    exploring = factories.stage(world.board, "Exploring")
    steps: list[tuple[str, Api, Any]] = [
        (
            "initiative_created",
            member,
            lambda: member.post(
                f"/api/v1/boards/{board_id}/initiatives",
                {"title": "Telecare", "grand_challenge_id": world.challenge},
            ),
        ),
        (
            "initiative_edited",
            member,
            lambda: member.patch(
                f"/api/v1/initiatives/{world.proposed}", {"version": 1, "summary": "More"}
            ),
        ),
        (
            "rag_changed",
            envoy,
            lambda: envoy.patch(
                f"/api/v1/initiatives/{world.proposed}",
                {"version": 2, "rag": "amber", "rag_reason": "No funder"},
            ),
        ),
        (
            "initiative_moved",
            member,
            lambda: member.post(
                f"/api/v1/initiatives/{world.proposed}/move",
                {"stage_id": exploring, "position": 0, "version": 3},
            ),
        ),
        (
            "role_claimed",
            member,
            lambda: member.post(
                f"/api/v1/initiatives/{world.foreign}/claims", {"role_type_id": world.evaluator}
            ),
        ),
        (
            "comment_added",
            member,
            lambda: member.post(
                f"/api/v1/initiatives/{world.foreign}/comments", {"body": "We lead this now"}
            ),
        ),
        (
            "role_released",
            envoy,
            lambda: envoy.delete(f"/api/v1/claims/{world.lep_claim}"),
        ),
        (
            "initiative_archived",
            envoy,
            lambda: envoy.post(f"/api/v1/initiatives/{world.foreign}/archive", {"version": 1}),
        ),
        (
            "initiative_restored",
            envoy,
            lambda: envoy.post(
                f"/api/v1/initiatives/{world.foreign}/archive", {"version": 2, "archived": False}
            ),
        ),
    ]
    start = last_seq(board_id)
    for i, (event_type, api, do) in enumerate(steps, start=1):
        response = do()
        assert response.status_code in (200, 201, 204), (event_type, response.get_json())
        assert last_seq(board_id) == start + i, event_type
        (event,) = _events(api, board_id, f"?since={start + i - 1}")["events"]
        assert (event["seq"], event["type"]) == (start + i, event_type)

    events = _events(envoy, board_id, f"?since={start}")["events"]
    assert [e["type"] for e in events] == [t for t, _, _ in steps]
    assert [e["seq"] for e in events] == list(range(start + 1, start + len(steps) + 1))


def test_api_events_since_returns_exactly_the_later_events_in_order(
    envoy: Api, member: Api, world: World
) -> None:
    board_id = world.board.id
    everything = _events(envoy, board_id)
    assert [e["seq"] for e in everything["events"]] == [1, 2, 3, 4, 5]
    assert everything["last_seq"] == 5

    member.post(f"/api/v1/initiatives/{world.proposed}/comments", {"body": "One"})
    member.patch(f"/api/v1/initiatives/{world.proposed}", {"version": 1, "title": "Two"})
    envoy.post(f"/api/v1/initiatives/{world.foreign}/comments", {"body": "Three"})

    later = _events(envoy, board_id, "?since=5")
    assert [(e["seq"], e["type"]) for e in later["events"]] == [
        (6, "comment_added"),
        (7, "initiative_edited"),
        (8, "comment_added"),
    ]
    assert later["last_seq"] == 8
    assert _events(envoy, board_id, "?since=7")["events"] == later["events"][2:]
    assert _events(envoy, board_id, "?since=8") == {"events": [], "last_seq": 8}
    assert _events(envoy, board_id, "?since=100") == {"events": [], "last_seq": 8}
    # The full log, read again, is the same log: events are append-only.
    again = _events(envoy, board_id)["events"]
    assert again[:5] == everything["events"]
    assert again[5:] == later["events"]


def test_api_event_envelope_names_the_actor_and_the_change(member: Api, world: World) -> None:
    member_user = world.users["member"]
    response = member.patch(
        f"/api/v1/initiatives/{world.proposed}",
        {"version": 1, "rag": "red", "rag_reason": "Blocked on data"},
    )
    assert response.status_code == 200
    (event,) = _events(member, world.board.id, "?since=5")["events"]
    assert set(event) == ENVELOPE
    assert event["seq"] == 6
    assert event["board_id"] == world.board.id
    assert event["type"] == "rag_changed"
    assert event["initiative_id"] == world.proposed
    assert event["actor"] == {
        "user": {"id": member_user.id, "name": member_user.name},
        "organisation": {"id": world.police, "name": "Police"},
    }
    at = datetime.fromisoformat(event["at"])
    assert at.utcoffset() is not None and at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert event["data"]["changes"]["rag"] == {"from": "not_set", "to": "red"}
    assert event["data"]["changes"]["rag_reason"] == {"from": "", "to": "Blocked on data"}
    assert event["data"]["version"] == 2


def test_api_move_event_records_from_and_to(envoy: Api, world: World) -> None:
    pilot = factories.stage(world.board, "Pilot")
    envoy.post(
        f"/api/v1/initiatives/{world.foreign}/move",
        {"stage_id": pilot, "position": 0, "version": 1},
    )
    (event,) = _events(envoy, world.board.id, "?since=5")["events"]
    assert event["type"] == "initiative_moved"
    assert event["data"]["from"]["stage"] == "Proposed"
    assert event["data"]["to"] == {
        "stage_id": pilot,
        "stage": "Pilot",
        "grand_challenge_id": factories.challenge(world.board),
        "position": 0,
    }


def test_api_events_limit_pages_through_the_log(envoy: Api, world: World) -> None:
    first = _events(envoy, world.board.id, "?since=0&limit=2")
    assert [e["seq"] for e in first["events"]] == [1, 2]
    assert first["last_seq"] == 5
    rest = _events(envoy, world.board.id, "?since=2&limit=1000")
    assert [e["seq"] for e in rest["events"]] == [3, 4, 5]


def test_api_events_of_one_board_leave_out_other_boards(envoy: Api, world: World) -> None:
    other = factories.make_board("Other programme")
    db.session.commit()
    factories.make_initiative(other, world.users["envoy"])
    assert _events(envoy, other.id)["last_seq"] == 1
    mine = _events(envoy, world.board.id)["events"]
    assert {e["board_id"] for e in mine} == {world.board.id}
    assert len(mine) == 5


def test_api_failed_change_adds_no_event(envoy: Api, world: World) -> None:
    envoy.post(f"/api/v1/initiatives/{world.foreign}/comments", {"body": ""})
    envoy.patch(f"/api/v1/initiatives/{world.foreign}", {"version": 9, "title": "Stale"})
    envoy.post(
        f"/api/v1/initiatives/{world.involved}/claims",
        {"role_type_id": world.partner, "organisation_id": world.police},
    )
    assert _events(envoy, world.board.id, "?since=5") == {"events": [], "last_seq": 5}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?since=-1", "since"),
        ("?since=abc", "since"),
        ("?since=1.5", "since"),
        ("?limit=0", "limit"),
        ("?limit=1001", "limit"),
        ("?limit=many", "limit"),
    ],
)
def test_api_events_refuses_a_bad_query(envoy: Api, world: World, query: str, field: str) -> None:
    response = envoy.get(f"/api/v1/boards/{world.board.id}/events{query}")
    error = assert_error_shape(response, 422)
    assert field in error["fields"]


def test_api_events_of_an_unknown_board_is_404(envoy: Api, world: World) -> None:
    response = envoy.get("/api/v1/boards/999999/events?since=0")
    assert assert_error_shape(response, 404)["fields"] == {"board_id": "no such board"}


def test_api_edit_after_someone_moved_the_card_in_its_grand_challenge_applies(
    envoy: Api, member: Api, world: World
) -> None:
    """The issue's case: another user moves the card to another stage of the same Grand
    Challenge; a PATCH from the old version that sends the (unchanged) Grand Challenge with
    a new title is not a conflict."""
    challenge = _db_initiative(world.involved).grand_challenge_id
    moved = member.post(
        f"/api/v1/initiatives/{world.involved}/move",
        {"stage_id": factories.stage(world.board, "Exploring"), "position": 0, "version": 1},
    )
    assert moved.status_code == 200

    response = envoy.patch(
        f"/api/v1/initiatives/{world.involved}",
        {"version": 1, "title": "new", "grand_challenge_id": challenge},
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["title"] == "new"
    assert response.get_json()["stage_id"] == factories.stage(world.board, "Exploring")
