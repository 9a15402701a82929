"""Weekly report cost for a large board: 1,000 initiatives and 100,000 events.

    .venv/bin/python bench/bench_exports.py [--initiatives 1000] [--events 100000] [--repeat 3]
    .venv/bin/python bench/bench_exports.py --storm 16     # also the served figure below

Builds a scratch SQLite database (migrated with the real migrations), writes a synthetic but
valid event history spread over 20 weeks straight into the tables, then times the report for
the last week: computing it (the replay, which every export does once) and rendering each
format from it, the median of `--repeat` runs each. An export's time is compute + render.
Then, through `service.produce` (what the API, the page and the command line call), each
format's first build (compute, render, store) beside its repeat (served from the report cache).

`measure_storm` serves that database with `tracker run` and measures what one user can cost
everyone else: while one viewer asks for the same XLSX report N times at once (each request
retried after its `Retry-After` when refused, until all N are received), another user reads
`GET /api/v1/boards/{id}` over and over; its latency then and when the server is idle. The
same run measures the server with the report cache and build limit turned off
(`REPORT_CACHE_MAX_MB=0`, `REPORT_BUILDS_PER_USER=0`), as before they existed.
Prints one table; `make bench` uses `measure()` and `measure_storm()`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade

from bench.servers import BOARD, TrackerServer, quiet_upgrade
from tracker import accounts, api_tokens, create_app, demo
from tracker.extensions import db
from tracker.models import Event, Initiative, Organisation, User
from tracker.reports import render, service
from tracker.reports.week import Week


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


def bench_database(path: Path, n_initiatives: int, n_events: int) -> dict[str, Any]:
    """Migrate `path`, write the history, and add two people for the storm: a viewer (who asks
    for the reports) and a member (who reads the board). Returns the board id, the week and
    their tokens."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{path}",
            "SECRET_KEY": "bench",
            "REPORT_CACHE_DIR": str(path.parent / "setup-cache"),
        }
    )
    with app.app_context():
        quiet_upgrade(upgrade)
        board = demo.create_board("Bench board")
        db.session.commit()
        started = time.perf_counter()
        week = build_history(board, n_initiatives, n_events, datetime(2026, 6, 1, tzinfo=UTC))
        built = time.perf_counter() - started
        tokens = {}
        for role in ("viewer", "member"):
            person = accounts.create_user(
                f"bench-{role}@example.org",
                organisation_name=f"Bench {role}s",
                role=role,
                password=None,
                new_organisation=True,
            )
            tokens[role] = api_tokens.create_token(person, "bench")
        db.session.commit()
        setup = {"board_id": board.id, "week": str(week), "history_s": built, "tokens": tokens}
        db.session.remove()
        db.engine.dispose()
    return setup


def measure(n_initiatives: int, n_events: int, repeat: int, storm: int = 0) -> dict[str, Any]:
    """Seconds per export: `compute` (the report built once, as every export builds it) and,
    per format, compute + render, each the median of `repeat` runs; `render` the rendering
    alone and `bytes` the file's size; `first` a build through `service.produce` with an empty
    cache and `cached` the same request again. The history is built first (not timed). With
    `storm`, `result["storm"]` is `measure_storm` on the same database."""
    with tempfile.TemporaryDirectory() as tmp:
        setup = bench_database(Path(tmp) / "bench.sqlite3", n_initiatives, n_events)
        week, built, board_id = Week.parse(setup["week"]), setup["history_s"], setup["board_id"]
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
                "SECRET_KEY": "bench",
                "REPORT_CACHE_DIR": f"{tmp}/cache",
            }
        )
        with app.app_context():
            computes: list[float] = []
            renders: dict[str, list[float]] = {fmt: [] for fmt in FORMATS}
            sizes: dict[str, int] = {}
            for _ in range(repeat):
                with app.test_request_context():
                    t0 = time.perf_counter()
                    report = service.build(board_id, str(week))
                    computes.append(time.perf_counter() - t0)
                    for fmt in FORMATS:
                        t0 = time.perf_counter()
                        sizes[fmt] = len(render.render(report, fmt))
                        renders[fmt].append(time.perf_counter() - t0)
                db.session.remove()
            produced: dict[str, dict[str, float]] = {}
            with app.test_request_context():
                for fmt in FORMATS:
                    times = []
                    for _ in range(2):  # the first builds and stores, the second is a hit
                        t0 = time.perf_counter()
                        answer = service.produce(board_id, str(week), fmt, builder=None)
                        times.append(time.perf_counter() - t0)
                        db.session.remove()
                    assert answer.from_cache
                    produced[fmt] = {"first": times[0], "cached": times[1]}
            db.engine.dispose()
        storm_result = (
            measure_storm(Path(tmp), Path(tmp) / "bench.sqlite3", setup, storm) if storm else None
        )
    compute = statistics.median(computes)
    result: dict[str, Any] = {
        "week": str(week),
        "history_s": built,
        "compute": {"s": compute, "render_s": 0.0, "bytes": 0},
        "storm": storm_result,
    }
    for fmt in FORMATS:
        render_s = statistics.median(renders[fmt])
        result[fmt] = {
            "s": compute + render_s,
            "render_s": render_s,
            "bytes": sizes[fmt],
            **produced[fmt],
        }
    return result


# --- what one user's reports cost another user ----------------------------------------------


def _board_reads(url: str, token: str, until: threading.Event, minimum: int) -> list[float]:
    """`GET /api/v1/boards/{id}` one after another, until `until` is set (and at least
    `minimum` times): each request's seconds."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    times: list[float] = []
    while not until.is_set() or len(times) < minimum:
        t0 = time.perf_counter()
        response = session.get(f"{url}/api/v1/boards/{BOARD}", timeout=120)
        times.append(time.perf_counter() - t0)
        response.raise_for_status()
    return times


def _reports_storm(url: str, token: str, weeks: list[str]) -> dict[str, Any]:
    """One request per week in `weeks`, all at once, for its XLSX report, from one person;
    each retried after its `Retry-After` when refused, until all have their file."""
    n = len(weeks)
    refused = 0
    lock = threading.Lock()

    def one(week: str) -> float:
        nonlocal refused
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        t0 = time.perf_counter()
        while True:
            response = session.get(
                f"{url}/api/v1/boards/{BOARD}/reports/weekly",
                params={"week": week, "format": "xlsx"},
                timeout=600,
            )
            if response.status_code != 429:
                response.raise_for_status()
                return time.perf_counter() - t0
            with lock:
                refused += 1
            time.sleep(float(response.headers.get("Retry-After", "1")))

    started = time.perf_counter()
    with ThreadPoolExecutor(n) as pool:
        waits = list(pool.map(one, weeks))
    return {"all_s": time.perf_counter() - started, "waits": waits, "refused": refused}


class _Server(TrackerServer):
    """`tracker run` on the bench database, with settings of its own."""

    def __init__(self, workdir: Path, database: Path, settings: dict[str, str]) -> None:
        super().__init__(workdir, database)
        self.settings = settings

    def env(self) -> dict[str, str]:
        return {**super().env(), **self.settings}


def measure_storm(
    workdir: Path, database: Path, setup: dict[str, Any], storm: int, idle_reads: int = 20
) -> dict[str, Any]:
    """Per server set-up ("limited": as shipped; "unlimited": no cache, no build limit), the
    other user's board reads when idle, then during each storm (seconds each), and the storm's
    own figures (see `_reports_storm`): `same` asks for one week's report `storm` times,
    `different` for `storm` different weeks (the weeks before it)."""
    assert setup["board_id"] == BOARD
    results: dict[str, Any] = {}
    configurations = {
        "unlimited": {"TRACKER_REPORT_CACHE_MAX_MB": "0", "TRACKER_REPORT_BUILDS_PER_USER": "0"},
        "limited": {},
    }
    member, viewer = setup["tokens"]["member"], setup["tokens"]["viewer"]
    for name, settings in configurations.items():
        settings = {**settings, "TRACKER_REPORT_CACHE_DIR": str(workdir / f"cache-{name}")}
        with _Server(workdir, database, settings) as server:
            done = threading.Event()
            done.set()
            _board_reads(server.url, member, done, 3)  # warm-up
            idle = _board_reads(server.url, member, done, idle_reads)
            week = Week.parse(setup["week"])
            storms = {
                "same": [str(week)] * storm,
                "different": [str(week.shifted(-i)) for i in range(1, storm + 1)],
            }
            results[name] = {"idle": idle}
            for kind, weeks in storms.items():
                done.clear()
                with ThreadPoolExecutor(1) as pool:
                    reads = pool.submit(_board_reads, server.url, member, done, 5)
                    try:
                        storm_result = _reports_storm(server.url, viewer, weeks)
                    finally:
                        done.set()
                    results[name][kind] = {"during": reads.result(), **storm_result}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--initiatives", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--storm", type=int, default=0, help="also serve it: N reports at once")
    args = parser.parse_args()
    result = measure(args.initiatives, args.events, args.repeat, args.storm)
    print(f"{args.initiatives} initiatives, {args.events} events, week {result['week']}")
    columns = ("export s", 10), ("render s", 10), ("bytes", 12), ("first s", 9), ("cached s", 10)
    print(f"{'format':<8}" + "".join(f"{name:>{width}}" for name, width in columns))
    for fmt in ("compute", *FORMATS):
        row = result[fmt]
        print(
            f"{fmt:<8}{row['s']:>10.3f}{row['render_s']:>10.3f}{row['bytes']:>12}"
            f"{row.get('first', 0):>9.3f}{row.get('cached', 0):>10.4f}"
        )
    if args.storm:
        for name, figures in result["storm"].items():
            print(f"{name}: board API idle p50 {statistics.median(figures['idle']):.3f} s")
            for kind in ("same", "different"):
                during = sorted(figures[kind]["during"])
                print(
                    f"  {args.storm} reports, {kind} weeks: board API p50 "
                    f"{statistics.median(during):.3f} s, max {during[-1]:.3f} s; all reports "
                    f"in {figures[kind]['all_s']:.1f} s, {figures[kind]['refused']} refused"
                )


if __name__ == "__main__":
    main()
