"""The notifications API: a person reads and marks only their own; watching and following
are their own choices, following a whole board only for envoys and admins."""

from __future__ import annotations

import sqlalchemy as sa

from tests.factories import make_initiative, make_token, role_type, stage
from tracker import board, unit_of_work
from tracker.extensions import db
from tracker.models import Notification


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(user)}"}


def test_the_api_lists_and_marks_only_the_callers_notifications(client, the_board, users) -> None:
    card = make_initiative(the_board, users["envoy"], title="Video companionship")
    unit_of_work.commit_change(
        board.claim(
            users["envoy"],
            card.id,
            role_type(the_board, "Partner").id,
            users["member"].organisation_id,
        )
    )
    unit_of_work.commit_change(board.move(users["envoy"], card.id, 1, stage(the_board, "Pilot"), 0))
    member, viewer = bearer(users["member"]), bearer(users["viewer"])
    listed = client.get("/api/v1/notifications", headers=member).json
    assert listed["unread"] == 2
    assert [n["text"] for n in listed["notifications"]] == [
        "moved it from Proposed to Pilot",
        "claimed Partner for Police",
    ]
    assert {n["initiative"] for n in listed["notifications"]} == {"Video companionship"}
    theirs = db.session.scalar(
        sa.select(Notification.id).where(Notification.user_id == users["viewer"].id)
    )
    refused = client.post(f"/api/v1/notifications/{theirs}/read", headers=member)
    assert refused.status_code == 404
    assert client.get("/api/v1/notifications?unread=1", headers=viewer).json["unread"] == 2
    mine = listed["notifications"][0]["id"]
    assert client.post(f"/api/v1/notifications/{mine}/read", headers=member).status_code == 204
    assert client.post("/api/v1/notifications/read", headers=member).json == {"marked": 1}
    assert client.get("/api/v1/notifications?unread=1", headers=member).json == {
        "unread": 0,
        "notifications": [],
    }
    assert client.get("/api/v1/notifications").status_code == 401


def test_watching_and_following_through_the_api(client, the_board, users) -> None:
    card = make_initiative(the_board, users["envoy"])
    member, envoy = bearer(users["member"]), bearer(users["envoy"])
    path = f"/api/v1/initiatives/{card.id}/watch"
    assert client.put(path, json={"watching": True}, headers=member).json == {"watching": True}
    for not_a_boolean in ("yes", 1, 0, 1.0, None, []):
        refused = client.put(path, json={"watching": not_a_boolean}, headers=member)
        assert refused.status_code == 422, not_a_boolean
        assert "watching" in refused.json["error"]["fields"]
    assert client.put("/api/v1/initiatives/999999/watch", json={"watching": True},
                      headers=member).status_code == 404  # fmt: skip
    follows = f"/api/v1/boards/{the_board.id}/follows"
    assert client.post(follows, json={}, headers=member).status_code == 403
    lane = the_board.grand_challenges[1].id
    made = client.post(follows, json={"grand_challenge_id": lane}, headers=envoy)
    assert made.status_code == 201 and made.json["grand_challenge_id"] == lane
    wrong = client.post(follows, json={"grand_challenge_id": 999999}, headers=envoy)
    assert wrong.status_code == 422 and "grand_challenge_id" in wrong.json["error"]["fields"]
    assert [f["id"] for f in client.get(follows, headers=envoy).json] == [made.json["id"]]
    assert client.delete(f"/api/v1/follows/{made.json['id']}", headers=member).status_code == 404
    assert client.delete(f"/api/v1/follows/{made.json['id']}", headers=envoy).status_code == 204
    assert client.get(follows, headers=envoy).json == []
