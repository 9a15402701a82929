"""The board as it was: replaying the event log up to a moment gives exactly what the live
tables held at that moment (a property test over random sequences of operations)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_board, make_organisation
from tracker import board
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.models import Claim, Initiative
from tracker.reports.replay import board_at

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "propose",
                "edit",
                "rag",
                "move",
                "claim",
                "release",
                "archive",
                "restore",
                "comment",
                "lane",
            ]
        ),
        st.integers(0, 50),
        st.integers(0, 50),
        st.integers(0, 50),
    ),
    min_size=8,
    max_size=40,
)


COMPARED = (
    "title",
    "summary",
    "stage_id",
    "grand_challenge_id",
    "rag",
    "rag_reason",
    "next_step",
    "next_step_due",
    "archived",
    "version",
    "stage_entered_at",
)


def _state(card: Any, claims: set[tuple[int, int]]) -> dict[str, Any]:
    """The fields compared, from a live row or a replayed card alike."""
    state = {name: getattr(card, name) for name in COMPARED}
    state["position"] = None if card.archived else card.position
    state["claims"] = claims
    return state


def live_state(board_id: int) -> dict[int, Any]:
    db.session.expire_all()
    cards = db.session.scalars(sa.select(Initiative).where(Initiative.board_id == board_id)).all()
    claims = db.session.scalars(
        sa.select(Claim).join(Initiative).where(Initiative.board_id == board_id)
    ).all()
    held: dict[int, set[tuple[int, int]]] = {}
    for claim in claims:
        held.setdefault(claim.initiative_id, set()).add((claim.role_type_id, claim.organisation_id))
    return {c.id: _state(c, held.get(c.id, set())) for c in cards}


def replayed_state(board_id: int, moment: datetime) -> dict[int, Any]:
    replay = board_at(board_id, moment)
    return {
        c.id: _state(c, {(cl.role_type_id, cl.organisation_id) for cl in c.claims.values()})
        for c in replay.initiatives.values()
    }


def apply(op: tuple[str, int, int, int], the_board, actor, organisations) -> None:
    kind, a, b, c = op
    cards = db.session.scalars(
        sa.select(Initiative).where(Initiative.board_id == the_board.id).order_by(Initiative.id)
    ).all()
    # Two stages and two swimlanes, so that cards share cells and positions matter.
    stages, lanes, roles = (
        the_board.stages[:2],
        the_board.grand_challenges[:2],
        the_board.role_types,
    )
    if kind == "propose" or not cards:
        board.propose(
            actor,
            the_board.id,
            {
                "title": f"Card {a}",
                "grand_challenge_id": lanes[b % len(lanes)].id,
                "stage_id": stages[c % len(stages)].id,
                "next_step_due": f"2026-12-{1 + a % 28:02d}",
            },
        )
        return
    card = cards[a % len(cards)]
    if kind == "edit":
        board.edit(
            actor,
            card.id,
            card.version,
            {"title": f"Edited {b}", "summary": "s" * (c % 3), "next_step": f"step {c}"},
        )
    elif kind == "rag":
        rag = ["red", "amber", "green", "not_set"][b % 4]
        board.edit(actor, card.id, card.version, {"rag": rag, "rag_reason": f"reason {c}"})
    elif kind == "move":
        board.move(
            actor,
            card.id,
            card.version,
            stages[b % len(stages)].id,
            c % 4,
            lanes[(a + c) % len(lanes)].id,
        )
    elif kind == "lane":
        board.edit(actor, card.id, card.version, {"grand_challenge_id": lanes[b % len(lanes)].id})
    elif kind == "claim":
        board.claim(actor, card.id, roles[b % len(roles)].id, organisations[c % len(organisations)])
    elif kind == "release":
        held = db.session.scalars(sa.select(Claim).where(Claim.initiative_id == card.id)).all()
        if held:
            board.release(actor, held[b % len(held)].id)
    elif kind == "archive":
        board.archive(actor, card.id, card.version, True)
    elif kind == "restore":
        board.archive(actor, card.id, card.version, False)
    elif kind == "comment":
        board.add_comment(actor, card.id, f"note {b}")


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(operations=OPERATIONS)
def test_replay_at_any_moment_equals_the_live_board_then(app, users, operations):
    the_board = make_board("Property board")
    organisations = [make_organisation().id for _ in range(3)]
    db.session.commit()
    actor = users["envoy"]
    start = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
    moments: list[tuple[datetime, dict[int, Any]]] = []
    # Four cards to start with, two sharing a cell, so that moves reorder cells.
    seed = [("propose", 0, 0, 0), ("propose", 1, 0, 0), ("propose", 2, 1, 0), ("propose", 3, 0, 1)]
    for step, op in enumerate(seed + operations):
        when = start + timedelta(hours=7 * step)
        with time_machine.travel(when, tick=False):
            try:
                apply(op, the_board, actor, organisations)
                db.session.commit()
            except DomainError:
                db.session.rollback()
        moments.append((when + timedelta(minutes=30), live_state(the_board.id)))
    for moment, expected in moments:
        assert replayed_state(the_board.id, moment) == expected
