"""API endpoints for what a person follows and hears about: their notifications (read and
mark their own only), watching an initiative, and (envoys, admins) following a board or a
Grand Challenge. Registered on the API blueprint with `views`."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.typing import ResponseReturnValue
from marshmallow import fields, validate

from tracker import events, following, mentions, notifications
from tracker.accounts import actor
from tracker.api import bp
from tracker.api.schemas import StrictBoolean, TextRule
from tracker.api.views import ERRORS, _check_id, _documented_errors
from tracker.limits import MAX_ID
from tracker.models import BoardFollow
from tracker.unit_of_work import commit
from tracker.web.history import describe


class NotificationsQuerySchema(ma.Schema):
    unread = fields.Boolean(load_default=False, metadata={"description": "only unread ones"})
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10_000))


class MentionableQuerySchema(ma.Schema):
    q = fields.String(
        load_default="",
        validate=[validate.Length(max=80), TextRule(multiline=False)],
        metadata={"description": "part of a name, case and accents ignored"},
    )


class MentionableSchema(ma.Schema):
    kind = fields.String(required=True, metadata={"description": "`user` or `organisation`"})
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    detail = fields.String(required=True, metadata={"description": "a person's organisation"})
    mention = fields.String(
        required=True, metadata={"description": "what to put in a note: `@[Name](user:12)`"}
    )


class NotificationActorSchema(ma.Schema):
    name = fields.String(required=True)
    organisation = fields.String(required=True)


class NotificationSchema(ma.Schema):
    id = fields.Integer(required=True)
    reason = fields.String(required=True, metadata={"description": "`following` or `mention`"})
    read = fields.Boolean(required=True)
    at = fields.String(required=True, metadata={"format": "date-time"})
    board_id = fields.Integer(required=True)
    seq = fields.Integer(required=True, metadata={"description": "the event's sequence number"})
    initiative_id = fields.Integer(required=True)
    initiative = fields.String(required=True, metadata={"description": "its title"})
    actor = fields.Nested(NotificationActorSchema, required=True)
    text = fields.String(
        required=True, metadata={"description": "what happened, as the history says it"}
    )


class NotificationListSchema(ma.Schema):
    unread = fields.Integer(required=True, metadata={"description": "unread, in all"})
    notifications = fields.List(fields.Nested(NotificationSchema), required=True)


class MarkedSchema(ma.Schema):
    marked = fields.Integer(required=True)


class WatchSchema(ma.Schema):
    # JSON true or false only (marshmallow would also take "yes", 1 …; and `1 in {True}`).
    watching = StrictBoolean(required=True, metadata={"description": "follow it, or not"})


class FollowCreateSchema(ma.Schema):
    grand_challenge_id = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "one Grand Challenge of the board; null: the whole board"},
    )


class FollowSchema(ma.Schema):
    id = fields.Integer(required=True)
    board_id = fields.Integer(required=True)
    grand_challenge_id = fields.Integer(required=True, allow_none=True)


@bp.route("/notifications")
@bp.arguments(NotificationsQuerySchema, location="query", as_kwargs=True)
@bp.response(200, NotificationListSchema)
@_documented_errors(401, 422)
def list_notifications(unread: bool, page: int) -> Any:
    """The caller's own notifications, newest first, 50 a page."""
    user = actor()
    names = notifications.sentence_names()
    listed = notifications.entries(user.id, unread_only=unread, page=page)
    return {
        "unread": notifications.unread_count(user.id),
        "notifications": [
            {
                "id": entry.id,
                "reason": entry.reason,
                "read": entry.read,
                "at": entry.at.isoformat(),
                "board_id": entry.board_id,
                "seq": entry.event.seq,
                "initiative_id": entry.event.initiative_id,
                "initiative": entry.initiative_title,
                "actor": {
                    "name": entry.event.actor_name,
                    "organisation": entry.event.actor_organisation_name,
                },
                "text": describe(events.envelope(entry.event), names),
            }
            for entry in listed
        ],
    }


@bp.route("/mentionable")
@bp.arguments(MentionableQuerySchema, location="query", as_kwargs=True)
@bp.response(200, MentionableSchema(many=True))
@_documented_errors(401, 422)
def mentionable(q: str) -> Any:
    """Active people and organisations whose name holds `q` (at most 10 of each), for the
    progress note's mention picker."""
    return mentions.candidates(q)


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@bp.response(204)
@_documented_errors(401, 404)
def mark_notification_read(notification_id: int) -> ResponseReturnValue:
    """Mark one of the caller's notifications read (another person's: 404)."""
    _check_id(notification_id, "Notification")
    notifications.mark_read(actor(), notification_id)
    commit()
    return "", 204


@bp.route("/notifications/read", methods=["POST"])
@bp.response(200, MarkedSchema)
@_documented_errors(401)
def mark_all_notifications_read() -> Any:
    """Mark all the caller's notifications read; how many were unread."""
    change = notifications.mark_all_read(actor())
    commit()
    return {"marked": change.value}


@bp.route("/initiatives/<int:initiative_id>/watch", methods=["PUT"])
@bp.arguments(WatchSchema)
@bp.response(200, WatchSchema)
@_documented_errors(*ERRORS)
def set_watching(body: dict[str, Any], initiative_id: int) -> Any:
    """Watch an initiative (its changes come to the caller's notifications) or stop."""
    _check_id(initiative_id, "Initiative")
    change = following.set_watching(actor(), initiative_id, body["watching"])
    commit()
    return {"watching": change.value}


@bp.route("/boards/<int:board_id>/follows", methods=["GET"])
@bp.response(200, FollowSchema(many=True))
@_documented_errors(401, 404)
def list_follows(board_id: int) -> Any:
    """What of this board the caller follows as a whole (the board, Grand Challenges)."""
    _check_id(board_id, "Board")
    return following.board_follows(actor().id, board_id)


@bp.route("/boards/<int:board_id>/follows", methods=["POST"])
@bp.arguments(FollowCreateSchema)
@bp.response(201, FollowSchema)
@_documented_errors(*ERRORS)
def follow_board(body: dict[str, Any], board_id: int) -> Any:
    """Follow the whole board, or one Grand Challenge of it (envoys and admins)."""
    _check_id(board_id, "Board")
    change = following.follow_board(actor(), board_id, body["grand_challenge_id"])
    follow: BoardFollow = change.value
    commit()
    return follow


@bp.route("/follows/<int:follow_id>", methods=["DELETE"])
@bp.response(204)
@_documented_errors(401, 404)
def unfollow_board(follow_id: int) -> ResponseReturnValue:
    """Stop following a board or Grand Challenge (one's own only)."""
    _check_id(follow_id, "Follow")
    following.unfollow_board(actor(), follow_id)
    commit()
    return "", 204
