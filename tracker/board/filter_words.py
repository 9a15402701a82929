"""A board filter (`tracker.board.filters.CardFilter`) as people read it: each condition in
words, for a report that says what it covers, and what the filter form offers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from tracker.board.filters import CardFilter
from tracker.extensions import db
from tracker.models import Board, Organisation
from tracker.reports.weekly import DUE_WITHIN_DAYS, STALE_AFTER_DAYS
from tracker.vocabulary import RAG_LABELS, RAG_VALUES


def _either(names: Sequence[str]) -> str:
    return " or ".join(names)


def describe(
    rule: CardFilter, the_board: Board, organisation_names: Mapping[int, str]
) -> list[str]:
    """Each condition of `rule` in words, in the filter form's order ([] for none), for a
    report that says what it covers: "Grand Challenge: Health or Transport"."""
    stages = {s.id: s.name for s in the_board.stages}
    lanes = {g.id: g.name for g in the_board.grand_challenges}
    roles = {r.id: r.name for r in the_board.role_types}
    said: list[str] = []
    if rule.q:
        said.append(f"Text: “{rule.q}”")
    if rule.grand_challenge_ids:
        chosen = [name for gid, name in lanes.items() if gid in rule.grand_challenge_ids]
        said.append(f"Grand Challenge: {_either(chosen)}")
    if rule.stage_ids:
        said.append(f"Stage: {_either([n for sid, n in stages.items() if sid in rule.stage_ids])}")
    if rule.rags:
        said.append(f"RAG status: {_either([RAG_LABELS[r] for r in RAG_VALUES if r in rule.rags])}")
    role = roles.get(rule.role_type_id or 0)
    if rule.organisation_id is not None:
        name = organisation_names.get(rule.organisation_id, f"#{rule.organisation_id}")
        how = {
            "any": "proposed it or holds a role",
            "proposed": "proposed it",
            "holds": "holds a role",
        }[rule.involvement]
        said.append(f"Organisation: {name}, " + (f"holds {role}" if role else how))
    elif role:
        said.append(f"Role held: {role}")
    if rule.wanted:
        if ("wanted", "any") in rule.args:
            said.append("Role wanted: any")
        else:
            wanted = [name for rid, name in roles.items() if rid in rule.wanted]
            said.append(f"Role wanted: {_either(wanted)}")
    if rule.due:
        said.append(
            "Next step: overdue"
            if rule.due == "overdue"
            else f"Next step: overdue or due within {DUE_WITHIN_DAYS} days"
        )
    if rule.stale:
        said.append(f"No update for {STALE_AFTER_DAYS} days")
    if rule.archived:
        said.append("Archived initiatives")
    return said


def choices(the_board: Board) -> dict[str, Any]:
    """What the filter form offers besides the board's own stages and Grand Challenges:
    `organisations` as (id, name) rows by name, and the board's `roles`."""
    organisations = db.session.execute(
        sa.select(Organisation.id, Organisation.name).order_by(Organisation.name)
    ).all()
    return {
        "organisations": organisations,
        "roles": list(the_board.role_types),
    }
