"""What the board operations share: which fields an initiative has, how the board-specific
inputs are checked (RAG, stage, Grand Challenge, organisation) and the snapshot an event
records. The checks every operation shares are in `tracker.operations`."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import (
    GrandChallenge,
    Initiative,
    Organisation,
    Stage,
)
from tracker.operations import int_field
from tracker.vocabulary import RAG_VALUES, Rag

EDITABLE_FIELDS = (
    "title",
    "summary",
    "grand_challenge_id",
    "rag",
    "rag_reason",
    "next_step",
    "next_step_due",
    "barriers",
)

MOVE_FIELDS = ("stage_id", "position", "grand_challenge_id")


def rag_field(value: Any) -> str:
    if value is None:
        return Rag.NOT_SET.value
    if not isinstance(value, str) or value not in RAG_VALUES:
        raise Invalid({"rag": "must be one of red, amber, green, not_set"})
    return value


def stage_on(board_id: int, stage_id: Any) -> Stage:
    stage_id = int_field(stage_id, "stage_id")
    stage = db.session.get(Stage, stage_id)
    if stage is None or stage.board_id != board_id:
        raise Invalid({"stage_id": "no such stage on this board"})
    return stage


_STAGES = sa.select(Stage).where(Stage.id.in_(sa.bindparam("ids", expanding=True)))


def stages_for_move(board_id: int, stage_id: Any, current_id: int) -> tuple[Stage, Stage]:
    """The target stage (checked as `stage_on` does) and the card's current stage, in one
    read."""
    stage_id = int_field(stage_id, "stage_id")
    found = {
        stage.id: stage
        for stage in db.session.scalars(_STAGES, {"ids": list({stage_id, current_id})})
    }
    stage = found.get(stage_id)
    if stage is None or stage.board_id != board_id:
        raise Invalid({"stage_id": "no such stage on this board"})
    return stage, found[current_id]


def grand_challenge_on(board_id: int, grand_challenge_id: Any) -> GrandChallenge:
    grand_challenge_id = int_field(grand_challenge_id, "grand_challenge_id")
    grand_challenge = db.session.get(GrandChallenge, grand_challenge_id)
    if grand_challenge is None or grand_challenge.board_id != board_id:
        raise Invalid({"grand_challenge_id": "no such Grand Challenge on this board"})
    return grand_challenge


def organisation_field(organisation_id: Any, field: str = "organisation_id") -> Organisation:
    organisation_id = int_field(organisation_id, field)
    # Read as committed now: the board lock keeps accounts the session read before it (the
    # page may have listed every organisation), and one may have been deactivated since.
    organisation = db.session.get(Organisation, organisation_id, populate_existing=True)
    if organisation is None:
        raise Invalid({field: "no such organisation"})
    if not organisation.active:
        raise Invalid({field: "this organisation is deactivated"})
    return organisation


def json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def snapshot(initiative: Initiative) -> dict[str, Any]:
    """The initiative's fields as plain JSON, as recorded in its `initiative_created` event."""
    return {
        "id": initiative.id,
        "title": initiative.title,
        "summary": initiative.summary,
        "grand_challenge_id": initiative.grand_challenge_id,
        "stage_id": initiative.stage_id,
        "position": initiative.position,
        "rag": initiative.rag,
        "rag_reason": initiative.rag_reason,
        "next_step": initiative.next_step,
        "next_step_due": json_value(initiative.next_step_due),
        "barriers": initiative.barriers,
        "proposing_organisation_id": initiative.proposing_organisation_id,
        "archived": initiative.archived,
        "version": initiative.version,
    }
