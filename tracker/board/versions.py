"""Optimistic concurrency: what an initiative looked like at a version, whether a change
made from that version conflicts with what happened since, and the conditional UPDATE."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tracker.board.fields import (
    MOVE_FIELDS,
    json_value,
)
from tracker.errors import Conflict
from tracker.extensions import db
from tracker.models import (
    Event,
    Initiative,
    utcnow,
)
from tracker.vocabulary import (
    INITIATIVE_ARCHIVED,
    INITIATIVE_EDITED,
    INITIATIVE_MOVED,
    INITIATIVE_RESTORED,
    RAG_CHANGED,
    field_list,
)


def values_at_version(initiative_id: int, version: int) -> dict[str, Any]:
    """For each field changed after `version`: its value at `version` (as JSON: dates are
    ISO strings), read from the initiative's events. A field absent from the result has not
    been touched since."""
    rows = db.session.scalars(
        sa.select(Event)
        .where(
            Event.initiative_id == initiative_id,
            Event.type.in_(
                [
                    INITIATIVE_EDITED,
                    RAG_CHANGED,
                    INITIATIVE_MOVED,
                    INITIATIVE_ARCHIVED,
                    INITIATIVE_RESTORED,
                ]
            ),
        )
        .order_by(Event.seq)
    )
    before: dict[str, Any] = {}
    for event in rows:
        if event.data.get("version", 0) <= version:
            continue
        # The first change after `version` says what the value was at `version`.
        if event.type in (INITIATIVE_EDITED, RAG_CHANGED):
            for name, change in event.data["changes"].items():
                before.setdefault(name, change["from"])
        elif event.type == INITIATIVE_MOVED:
            for name in MOVE_FIELDS:
                before.setdefault(name, event.data["from"].get(name))
        else:
            before.setdefault("archived", event.type == INITIATIVE_RESTORED)
    return before


def check_version(
    initiative: Initiative, version: int, wanted: dict[str, Any], *, merge: bool = False
) -> dict[str, Any]:
    """Field-level optimistic concurrency, as a three-way merge of the value at the client's
    `version`, the current value and the value the client asks for (`wanted`: field → value
    as the model holds it). Returns what to apply.

    For each field someone else changed since `version`:
    - with `merge` (an edit, whose form sends every field), the client sent it back as it was
      at `version` (it did not touch it): theirs stands, and the field is left out of what is
      applied. Without (a move or an archive, which asks for a place or a state outright),
      that is a conflict like any other;
    - the client asks for the value it has now: nothing to do;
    - the client asks for yet another value: both changed it, a conflict. Every such field
      is named with its current value, and the current initiative goes with the refusal.
    Fields nobody else changed apply as asked; a field changed and changed back since counts
    as unchanged.
    """
    if version == initiative.version:
        return wanted
    if version > initiative.version:
        raise Conflict(
            f"Version {version} does not exist yet (the initiative is at version "
            f"{initiative.version}).",
            {"version": f"unknown: current version is {initiative.version}"},
            current=initiative,
        )
    then = values_at_version(initiative.id, version)
    apply: dict[str, Any] = {}
    overlap: list[str] = []
    for name, value in wanted.items():
        now = json_value(getattr(initiative, name))
        if name not in then or then[name] == now:
            apply[name] = value
        elif merge and json_value(value) == then[name]:
            continue  # left as the client saw it: the other change stands
        elif json_value(value) != now:
            overlap.append(name)
    if overlap:
        overlap.sort()
        reasons = {
            name: f"changed by someone else since version {version}; now "
            f"{json_value(getattr(initiative, name))!r}"
            for name in overlap
        }
        raise Conflict(
            f"Someone else changed the {field_list(overlap)} since you loaded version {version} "
            f"(it is now at version {initiative.version}).",
            reasons,
            current=initiative,
        )
    return apply


_UPDATES: dict[tuple[str, ...], Any] = {}


def _versioned_update_statement(names: tuple[str, ...]) -> Any:
    """`versioned_update`'s statement for these columns, built once per set of names."""
    statement = _UPDATES.get(names)
    if statement is None:
        statement = _UPDATES[names] = (
            sa.update(Initiative)
            .where(
                Initiative.id == sa.bindparam("id_"),
                Initiative.version == sa.bindparam("version_"),
            )
            .values(
                {
                    **{name: sa.bindparam(f"new_{name}") for name in names},
                    "version": Initiative.version + 1,
                    "updated_at": sa.bindparam("updated_at_"),
                }
            )
            .returning(Initiative)
        )
    return statement


def versioned_update(initiative: Initiative, version: int, values: dict[str, Any]) -> None:
    """Write `values` only if the row is still at `version`: the database decides, so two
    writers that both read version N cannot both succeed."""
    now = utcnow()
    db.session.flush()
    # RETURNING the row refreshes `initiative` in the same statement (populate_existing), as
    # the database wrote it: no second read. Its relationships load again when next used.
    updated = db.session.scalar(
        _versioned_update_statement(tuple(sorted(values))),
        {
            **{f"new_{name}": value for name, value in values.items()},
            "updated_at_": now,
            "id_": initiative.id,
            "version_": version,
        },
        execution_options={"synchronize_session": False, "populate_existing": True},
    )
    if updated is None:
        db.session.refresh(initiative)
        raise Conflict(
            "This initiative was changed by someone else.",
            {"version": f"stale: current version is {initiative.version}"},
            current=initiative,
        )
