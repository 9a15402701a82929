"""The tracker's vocabulary: each value people meet, with the words they read for it, defined
once. Models, forms, the API schema, reports and the pages' scripts take them from here."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Self


class Labelled(enum.StrEnum):
    """A string enum whose members carry the label people read: `Member = "value", "Label"`."""

    label: str

    def __new__(cls, value: str, label: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class Rag(Labelled):
    """RAG status (red, amber, green), the project-management traffic light; `not_set` until
    someone rates the initiative. In this order in reports (worst first)."""

    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"
    NOT_SET = "not_set", "Not set"


class AccountRole(Labelled):
    """What an account may do (the table in `tracker.policy`)."""

    ADMIN = "admin", "Admin"
    ENVOY = "envoy", "Envoy"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


# Event types, as they appear in the log, the API and over Socket.IO.
INITIATIVE_CREATED = "initiative_created"
INITIATIVE_EDITED = "initiative_edited"
RAG_CHANGED = "rag_changed"
INITIATIVE_MOVED = "initiative_moved"
INITIATIVE_ARCHIVED = "initiative_archived"
INITIATIVE_RESTORED = "initiative_restored"
ROLE_CLAIMED = "role_claimed"
ROLE_RELEASED = "role_released"
COMMENT_ADDED = "comment_added"
# Matching organisations to initiatives (`tracker.board.matching`). An approved request and an
# accepted invitation are `role_claimed` events (with `request_id` or `interest_id`): one
# event that both decides and claims.
ROLE_WANTED = "role_wanted"
ROLE_WANTED_WITHDRAWN = "role_wanted_withdrawn"
ROLE_REQUESTED = "role_requested"
ROLE_REQUEST_DECLINED = "role_request_declined"
ROLE_REQUEST_WITHDRAWN = "role_request_withdrawn"
INTEREST_REGISTERED = "interest_registered"
INTEREST_INVITED = "interest_invited"
INTEREST_DECLINED = "interest_declined"
INTEREST_CLOSED = "interest_closed"

RAG_VALUES = tuple(r.value for r in Rag)
RAG_LABELS = {r.value: r.label for r in Rag}


# What people call each field, in sentences ("Someone else changed the next step …").
FIELD_LABELS = {
    "title": "title",
    "summary": "summary",
    "grand_challenge_id": "Grand Challenge",
    "stage_id": "stage",
    "position": "position in its column",
    "rag": "RAG status",
    "rag_reason": "RAG reason",
    "next_step": "next step",
    "next_step_due": "next step due date",
    "barriers": "barriers",
    "archived": "archived state",
}


def field_list(names: Iterable[str]) -> str:
    """Field names as a sentence: "title, next step and RAG status"."""
    labels = [FIELD_LABELS.get(name, name.replace("_", " ")) for name in names]
    if len(labels) <= 1:
        return "".join(labels)
    return f"{', '.join(labels[:-1])} and {labels[-1]}"
