"""Typed models, one module per area. No queries, commits or `current_app` in here: rules
live in `tracker.board` and the other domain modules. Everything is named from here
(`from tracker.models import Initiative`), so callers need not know which module holds it."""

from __future__ import annotations

from tracker.models.accounts import (
    ApiToken,
    AuditEntry,
    LoginSession,
    OneTimeLink,
    Organisation,
    User,
)
from tracker.models.base import (
    ADDRESS_MAX,
    BARRIERS_MAX,
    CARD_DENSITIES,
    COMMENT_MAX,
    DIGESTS,
    NAME_MAX,
    NAMING_CONVENTION,
    NEXT_STEP_MAX,
    RAG_REASON_MAX,
    SHORT_NAME_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    VIEW_NAME_MAX,
    VIEW_QUERY_MAX,
    Base,
    UTCDateTime,
    utcnow,
)
from tracker.models.board import (
    Board,
    Claim,
    Comment,
    Event,
    GrandChallenge,
    Initiative,
    RoleType,
    Stage,
)
from tracker.models.following import BoardFollow, Notification, Watch
from tracker.models.layout import BoardVisit, CollapsedSwimlane, SavedView
from tracker.models.mail import MailPreference, OutboxMessage, ReportRecipient

__all__ = [
    "ADDRESS_MAX",
    "BARRIERS_MAX",
    "CARD_DENSITIES",
    "COMMENT_MAX",
    "DIGESTS",
    "NAME_MAX",
    "NAMING_CONVENTION",
    "NEXT_STEP_MAX",
    "RAG_REASON_MAX",
    "SHORT_NAME_MAX",
    "SUMMARY_MAX",
    "TITLE_MAX",
    "VIEW_NAME_MAX",
    "VIEW_QUERY_MAX",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Board",
    "BoardFollow",
    "BoardVisit",
    "Claim",
    "CollapsedSwimlane",
    "Comment",
    "Event",
    "GrandChallenge",
    "Initiative",
    "LoginSession",
    "MailPreference",
    "Notification",
    "OneTimeLink",
    "Organisation",
    "OutboxMessage",
    "ReportRecipient",
    "RoleType",
    "SavedView",
    "Stage",
    "UTCDateTime",
    "User",
    "Watch",
    "utcnow",
]
