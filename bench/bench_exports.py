"""Weekly report export time for a large board: 1,000 initiatives and 100,000 events.

    .venv/bin/python bench/bench_exports.py [--initiatives 1000] [--events 100000] [--repeat 3]

Builds a scratch SQLite database (migrated with the real migrations), writes a synthetic but
valid event history spread over 20 weeks straight into the tables, then times the report for
the last week: computing it (the replay, which every export does once) and rendering each
format from it, the median of `--repeat` runs each. An export's time is compute + render.
Prints one table; `make bench` uses `measure()`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade

from bench.servers import quiet_upgrade
from tracker import create_app, demo, reports
from tracker.extensions import db
from tracker.models import Event, Initiative, Organisation, User
from tracker.reports import render
from tracker.reports.weekly import Week


def build_history(board, n_initiatives: int, n_events: int, start: datetime) -> Week:
    rng = random.Random(48)
    org = Organisation(name="Bench organisation")
    db.session.add(org)
    db.session.flush()
    user = User(email="bench@example.org", name="Bench", role="envoy", organisation=org)
    db.session.add(user)
    db.session.flush()
    stages = [s.id for s in board.stages]
    stage_names = {s.id: s.name for s in board.stages}
    lanes = [g.id for g in board.grand_challenges]
    roles = [(r.id, r.name) for r in board.role_types]
    span = timedelta(weeks=20)
    step = span / n_events
    rows, cards = [], []
    state: dict[int, dict] = {}
    seq = 0
    for i in range(1, n_initiatives + 1):
        seq += 1
        at = start + step * seq
        snap = {
            "id": i,
            "title": f"Initiative {i}",
            "summary": "",
            "grand_challenge_id": rng.choice(lanes),
            "stage_id": stages[0],
            "position": 0,
            "rag": "not_set",
            "rag_reason": "",
            "next_step": "",
            "next_step_due": (start + timedelta(days=rng.randint(0, 200))).date().isoformat(),
            "barriers": "",
            "proposing_organisation_id": org.id,
            "archived": False,
            "version": 1,
        }
        state[i] = {
            "stage": stages[0],
            "version": 1,
            "lane": snap["grand_challenge_id"],
            "claims": [],
        }
        cards.append(
            {
                **snap,
                "board_id": board.id,
                "created_at": at,
                "updated_at": at,
                "stage_entered_at": at,
                "next_step_due": datetime.fromisoformat(snap["next_step_due"]).date(),
            }
        )
        rows.append(
            dict(
                board_id=board.id,
                seq=seq,
                type="initiative_created",
                initiative_id=i,
                actor_user_id=user.id,
                actor_organisation_id=org.id,
                actor_name="Bench",
                actor_organisation_name=org.name,
                at=at,
                data={"initiative": snap},
            )
        )
    claim_id = 0
    while seq < n_events:
        seq += 1
        at = start + step * seq
        i = rng.randint(1, n_initiatives)
        card = state[i]
        kind = rng.random()
        base = dict(
            board_id=board.id,
            seq=seq,
            initiative_id=i,
            actor_user_id=user.id,
            actor_organisation_id=org.id,
            actor_name="Bench",
            actor_organisation_name=org.name,
            at=at,
        )
        if kind < 0.35:
            to = rng.choice(stages)
            card["version"] += 1
            data = {
                "from": {
                    "stage_id": card["stage"],
                    "stage": stage_names[card["stage"]],
                    "grand_challenge_id": card["lane"],
                    "position": 0,
                },
                "to": {
                    "stage_id": to,
                    "stage": stage_names[to],
                    "grand_challenge_id": card["lane"],
                    "position": 0,
                },
                "version": card["version"],
            }
            card["stage"] = to
            rows.append({**base, "type": "initiative_moved", "data": data})
        elif kind < 0.55:
            card["version"] += 1
            rag = rng.choice(["red", "amber", "green"])
            rows.append(
                {
                    **base,
                    "type": "rag_changed",
                    "data": {
                        "changes": {
                            "rag": {"from": "not_set", "to": rag},
                            "rag_reason": {"from": "", "to": "bench"},
                        },
                        "version": card["version"],
                    },
                }
            )
        elif kind < 0.7 and card["claims"]:
            cid, role_id, role = card["claims"].pop()
            rows.append(
                {
                    **base,
                    "type": "role_released",
                    "data": {
                        "claim_id": cid,
                        "role_type_id": role_id,
                        "role": role,
                        "organisation_id": org.id,
                        "organisation": org.name,
                        "exclusive": False,
                    },
                }
            )
        elif kind < 0.85:
            claim_id += 1
            role_id, role = rng.choice(roles)
            card["claims"].append((claim_id, role_id, role))
            rows.append(
                {
                    **base,
                    "type": "role_claimed",
                    "data": {
                        "claim_id": claim_id,
                        "role_type_id": role_id,
                        "role": role,
                        "organisation_id": org.id,
                        "organisation": org.name,
                        "exclusive": False,
                    },
                }
            )
        else:
            rows.append(
                {**base, "type": "comment_added", "data": {"comment_id": seq, "body": "bench note"}}
            )
    db.session.execute(sa.insert(Initiative), cards)
    for chunk in range(0, len(rows), 10000):
        db.session.execute(sa.insert(Event), rows[chunk : chunk + 10000])
    board.last_seq = seq
    db.session.commit()
    return Week.containing((start + span - timedelta(days=3)).date())


FORMATS = ("json", "csv", "xlsx", "html")


def measure(n_initiatives: int, n_events: int, repeat: int) -> dict[str, Any]:
    """Seconds per export: `compute` (the report built once, as every export builds it) and,
    per format, compute + render, each the median of `repeat` runs; `render` the rendering
    alone and `bytes` the file's size. The history is built first (not timed)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "SECRET_KEY": "bench"})
        with app.app_context():
            quiet_upgrade(upgrade)
            board = demo.create_board("Bench board")
            db.session.commit()
            started = time.perf_counter()
            week = build_history(board, n_initiatives, n_events, datetime(2026, 6, 1, tzinfo=UTC))
            built = time.perf_counter() - started
            board_id = board.id
            db.session.remove()
            computes: list[float] = []
            renders: dict[str, list[float]] = {fmt: [] for fmt in FORMATS}
            sizes: dict[str, int] = {}
            for _ in range(repeat):
                with app.test_request_context():
                    t0 = time.perf_counter()
                    report = reports.build(board_id, str(week))
                    computes.append(time.perf_counter() - t0)
                    for fmt in FORMATS:
                        t0 = time.perf_counter()
                        sizes[fmt] = len(render.render(report, fmt))
                        renders[fmt].append(time.perf_counter() - t0)
                db.session.remove()
            db.engine.dispose()
    compute = statistics.median(computes)
    result: dict[str, Any] = {
        "week": str(week),
        "history_s": built,
        "compute": {"s": compute, "render_s": 0.0, "bytes": 0},
    }
    for fmt in FORMATS:
        render_s = statistics.median(renders[fmt])
        result[fmt] = {"s": compute + render_s, "render_s": render_s, "bytes": sizes[fmt]}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--initiatives", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result = measure(args.initiatives, args.events, args.repeat)
    print(f"{args.initiatives} initiatives, {args.events} events, week {result['week']}")
    print(f"{'format':<8}{'export s':>10}{'render s':>10}{'bytes':>12}")
    for fmt in ("compute", *FORMATS):
        row = result[fmt]
        print(f"{fmt:<8}{row['s']:>10.3f}{row['render_s']:>10.3f}{row['bytes']:>12}")


if __name__ == "__main__":
    main()
