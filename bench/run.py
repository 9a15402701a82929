"""The benchmark suite: live latency, scale and cost, side by side with the bare stack.

    .venv/bin/python -m bench.run            # make bench: the sizes the issues name
    .venv/bin/python -m bench.run --quick    # make bench-quick: smaller, about three minutes
    .venv/bin/python -m bench.run --only 1 3 # some figures only

Prints one Markdown table: tracker, baseline, ratio, and where an issue sets one, the target
and whether it was met. The tracker is `tracker run`, which serves as production does
(gunicorn, deploy/gunicorn.conf.py: one gevent worker); the baseline is mostly the bare stack
(bench/bare_app.py: Flask-SocketIO in the same async mode under the same gunicorn
configuration, with nothing on top), measured in the same run by the same load generator.

The load generator (bench/load.py) is a process of its own: one asyncio loop of bare
WebSocket viewers speaking Engine.IO/Socket.IO (python-socketio clients would cost it more
CPU per broadcast than the server spends), opening 50 connections at a time, and an HTTP
writer. Its CPU share is printed: near one core, it, not the server, would set the pace.

Figures, numbered as in the issues (FULL sizes; --quick and --tiny are smaller):

1. Broadcast latency: 10, 100 and 1,000 viewers watch board 1; the writer moves cards one at
   a time over HTTP; for each move, the time from just before the POST until the LAST viewer
   has the event. p50/p95/p99 per repeat, the median over repeats; the same against the bare
   stack (an endpoint that only emits a payload of the same size to the same room); ratio
   tracker ÷ bare. Target at 100 and at 1,000 viewers: p95 ≤ 1.5× bare. Repeats alternate
   between the two, so both see the same machine.
2. Write throughput: 4 writers, each moving a card of its own as fast as it can, with 100
   viewers connected; changes per second counted until every viewer has every change.
3. Viewers held, on the tracker then on the bare stack: `GET /api/v1/boards/{id}` timed from
   this process (100 requests one after another, bearer token) with no viewer connected;
   1,000 viewers join from none (target ≤ 15 s); the same GETs while they are held (target:
   p95 ≤ 2× the idle p95); 1,000 more join, and the 2,000 are held for 60 s: dropped ones
   (never joined, disconnected while held, or not sent a change made at the end; target 0)
   and the server's peak RSS, master + worker (VmHWM; target ≤ 400 MB).
4. Board size: bench/board_size.py.  5. Exports, the report cache, and what one user's 16
   reports at once cost another user's board (bench/bench_exports.py).
6. Two nodes: bench/two_nodes.py, PostgreSQL, Redis and two gunicorn servers: cross-node
   delivery p95 ≤ 1.3× single node (skipped, with the reason, without PostgreSQL/Redis/nginx).
7. Digests: one day's daily digests for 500 people over 1,000 initiatives and 10,000 events
   (bench/digests.py; target ≤ 10 s).

The machines are shared and noisy: the ratios, measured in the same run, say more than the
absolute times.
"""

from __future__ import annotations

import argparse
import math
import platform
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import bench_exports, board_size, servers, two_nodes
from bench import digests as bench_digests
from bench.servers import (
    BareServer,
    LoadProcess,
    TrackerServer,
    board_latencies,
    event_size,
    memory_kb,
    prepare_database,
    raise_fd_limit,
    refresh,
)

# The scale issue's acceptance targets.
BROADCAST_VS_BARE = 1.5  # broadcast p95 ÷ the bare stack's, at each of Plan.broadcast_targets
JOIN_S = 15.0  # Plan.held_join viewers joined from nothing
BOARD_API_VS_IDLE = 2.0  # the board API's p95 with Plan.held_join viewers held ÷ idle
RSS_MB = 400.0  # peak RSS, master + worker, holding Plan.held viewers
# Once the last viewer has joined, the room's last presence updates may still be on their
# way; "held" means after that.
SETTLE_S = 2.0
# A load process busier than this (share of one core) may be what limits a measurement.
LOAD_BOUND = 0.8


@dataclass
class Plan:
    """The sizes of one run."""

    viewers: list[int] = field(default_factory=lambda: [10, 100, 1000])
    moves: dict[int, int] = field(default_factory=lambda: {10: 60, 100: 60, 1000: 40})
    repeats: int = 3
    broadcast_targets: list[int] = field(default_factory=lambda: [100, 1000])
    throughput_viewers: int = 100
    throughput_writers: int = 4
    throughput_seconds: float = 5.0
    held_join: int = 1000  # joined from nothing (JOIN_S), then the board API timed
    held: int = 2000  # then joined up to this many, and held
    held_seconds: float = 60.0
    board_requests: int = 100  # sequential GETs of the board, idle and while held
    join_parallel: int = 50  # connections being opened at once by a load process
    join_timeout: float = 300.0
    board_sizes: list[int] = field(default_factory=lambda: [100, 1000, 5000])
    board_repeat: int = 5
    export_initiatives: int = 1000
    export_events: int = 100_000
    export_repeat: int = 3
    report_storm: int = 16  # one viewer's XLSX reports at once, while another reads the board
    node_viewers: int = 15
    node_moves: int = 30
    target_cards: int = 1000  # where the board-size target applies
    digest_people: int = 500
    digest_initiatives: int = 1000
    digest_events: int = 10_000


FULL = Plan()
QUICK = Plan(
    viewers=[10, 100],
    moves={10: 20, 100: 20},
    repeats=2,
    broadcast_targets=[100],
    throughput_seconds=2.0,
    held_join=100,
    held=200,
    held_seconds=5.0,
    board_requests=50,
    join_timeout=90.0,
    board_sizes=[100, 1000],
    board_repeat=3,
    export_repeat=1,
    digest_people=200,
    digest_initiatives=400,
    digest_events=4000,
    node_viewers=10,
    node_moves=15,
)
# For tests/e2e/test_bench_smoke.py: every code path, tiny sizes.
TINY = Plan(
    viewers=[3],
    moves={3: 3},
    repeats=1,
    broadcast_targets=[3],
    throughput_viewers=3,
    throughput_writers=2,
    throughput_seconds=0.5,
    held_join=3,
    held=5,
    held_seconds=0.5,
    board_requests=5,
    join_timeout=30.0,
    board_sizes=[10, 20],
    board_repeat=1,
    export_initiatives=20,
    export_events=500,
    export_repeat=1,
    node_viewers=2,
    node_moves=2,
    target_cards=20,
    digest_people=10,
    digest_initiatives=20,
    digest_events=50,
)


@dataclass
class Row:
    item: str
    figure: str
    tracker: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    met: str = ""


def percentile(values: list[float], p: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}" if seconds >= 0.01 else f"{seconds * 1000:.1f}"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b > 0 else "—"


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def percentiles_over_repeats(runs: list[list[float]]) -> dict[int, float]:
    """p50/p95/p99 of each repeat; the median of each over the repeats."""
    runs = [r for r in runs if r]
    if not runs:
        return {50: math.nan, 95: math.nan, 99: math.nan}
    return {p: statistics.median(percentile(r, p) for r in runs) for p in (50, 95, 99)}


# --- 1 and 2: broadcast latency and write throughput ------------------------------------------


def live(plan: Plan, workdir: Path, setup: dict[str, Any], items: set[int]) -> list[Row]:
    rows: list[Row] = []
    database = workdir / "tracker.sqlite3"
    with TrackerServer(workdir, database) as app:
        # One move first: the tracker's warm-up, and the size of a real `board_event`.
        with LoadProcess(app.url, 1, refresh(setup, app.url), workdir) as warm:
            warm.ask({"cmd": "latency", "moves": 2})
        size = event_size(app.url, setup["writer_token"], setup["since"])
        with BareServer(workdir, size) as bare:
            targets = {"tracker": app, "bare": bare}
            sizes = sorted(set(plan.viewers) | ({plan.throughput_viewers} if 2 in items else set()))
            for n in sizes:
                loads = {
                    name: LoadProcess(
                        server.url,
                        n,
                        refresh(setup, app.url),
                        workdir,
                        join_timeout=plan.join_timeout,
                        parallel=plan.join_parallel,
                    )
                    for name, server in targets.items()
                }
                try:
                    rows += _live_at(plan, n, loads, items)
                finally:
                    for load in loads.values():
                        load.close()
    return rows


def _live_at(plan: Plan, n: int, loads: dict[str, LoadProcess], items: set[int]) -> list[Row]:
    rows: list[Row] = []
    joined = {name: load.ready["joined"] for name, load in loads.items()}
    join_s = {name: load.ready["connect_s"] for name, load in loads.items()}
    short = {name: n - j for name, j in joined.items() if j < n}
    rows.append(
        Row(
            "1",
            f"{n} viewers: time for all to connect and join (s; {plan.join_parallel} at a time)",
            f"{join_s['tracker']:.1f}",
            f"{join_s['bare']:.1f}",
            _ratio(join_s["tracker"], join_s["bare"]),
            target="",
            met="" if not short else f"**never joined: {short}**",
        )
    )
    if 1 in items and n in plan.viewers:
        rows.extend(_broadcast_rows(plan, n, loads, joined))
    if 2 in items and n == plan.throughput_viewers:
        rows.extend(_throughput_rows(plan, n, loads))
    return rows


def _broadcast_rows(
    plan: Plan, n: int, loads: dict[str, LoadProcess], joined: dict[str, int]
) -> list[Row]:
    """Figure 1: broadcast latency to `n` viewers, tracker against bare, over the repeats."""
    rows: list[Row] = []
    runs: dict[str, list[list[float]]] = {"tracker": [], "bare": []}
    missed = {"tracker": 0, "bare": 0}
    cpu: dict[str, list[float]] = {"tracker": [], "bare": []}
    left = dict(joined)
    for rep in range(plan.repeats):
        order = ("bare", "tracker") if rep % 2 == 0 else ("tracker", "bare")
        for name in order:
            answer = loads[name].ask({"cmd": "latency", "moves": plan.moves[n]})
            runs[name].append(answer["latencies"])
            missed[name] += answer["missed"]
            left[name] = answer["viewers"]
            cpu[name].append(answer["cpu"])
    app = percentiles_over_repeats(runs["tracker"])
    bare = percentiles_over_repeats(runs["bare"])
    # Percentiles over a room that lost most of its viewers are not comparable.
    comparable = all(count >= 0.9 * n for count in left.values())
    for p in (50, 95, 99):
        row = Row(
            "1",
            f"broadcast p{p}, {n} viewers (ms)",
            _ms(app[p]),
            _ms(bare[p]),
            _ratio(app[p], bare[p]) if comparable else "—",
        )
        if not comparable:
            row.met = (
                f"not comparable: viewers left at the end, tracker {left['tracker']}, "
                f"bare {left['bare']}"
            )
        elif p == 95 and n in plan.broadcast_targets:
            row.target = f"≤ {BROADCAST_VS_BARE}× bare"
            row.met = _met(app[p] <= BROADCAST_VS_BARE * bare[p])
        rows.append(row)
    rows.append(_load_cpu_row("1", f"{n} viewers: the load process's CPU while measuring", cpu))
    if left != joined:
        rows.append(
            Row(
                "1",
                f"{n} viewers: connections dropped while measuring",
                str(joined["tracker"] - left["tracker"]),
                str(joined["bare"] - left["bare"]),
                target="0",
                met=_met(joined["tracker"] == left["tracker"]),
            )
        )
    if any(missed.values()):
        rows.append(
            Row(
                "1",
                f"{n} viewers: moves some viewer never got (of {plan.moves[n] * plan.repeats})",
                str(missed["tracker"]),
                str(missed["bare"]),
                target="0",
                met=_met(missed["tracker"] == 0),
            )
        )
    return rows


def _load_cpu_row(item: str, label: str, cpu: dict[str, list[float]]) -> Row:
    """How busy the load process was (its CPU time ÷ wall time, the median over repeats):
    near one core, the load generator rather than the server may have set the pace."""
    busy = {name: statistics.median(values) for name, values in cpu.items()}
    row = Row(
        item,
        f"{label} (share of one core)",
        f"{busy['tracker']:.2f}",
        f"{busy['bare']:.2f}",
    )
    if max(busy.values()) > LOAD_BOUND:
        row.met = "**the load process was near one core: it may have set the pace**"
    return row


def _throughput_rows(plan: Plan, n: int, loads: dict[str, LoadProcess]) -> list[Row]:
    """Figure 2: write throughput with `n` viewers watching, tracker against bare."""
    rows: list[Row] = []
    rates: dict[str, list[float]] = {"tracker": [], "bare": []}
    lost = 0
    for rep in range(plan.repeats):
        order = ("bare", "tracker") if rep % 2 == 0 else ("tracker", "bare")
        for name in order:
            answer = loads[name].ask(
                {
                    "cmd": "throughput",
                    "seconds": plan.throughput_seconds,
                    "writers": plan.throughput_writers,
                }
            )
            if answer["errors"]:
                raise RuntimeError(f"{name} throughput: {answer['errors']}")
            rates[name].append(answer["changes"] / answer["delivered_s"])
            lost += answer["missed"] if name == "tracker" else 0
    app_rate, bare_rate = statistics.median(rates["tracker"]), statistics.median(rates["bare"])
    rows.append(
        Row(
            "2",
            f"write throughput, {n} viewers, {plan.throughput_writers} writers (changes/s)",
            f"{app_rate:.0f}",
            f"{bare_rate:.0f}",
            _ratio(app_rate, bare_rate),
            met="" if not lost else f"**{lost} changes not delivered**",
        )
    )
    return rows


# --- 3: viewers held ----------------------------------------------------------------------------


def held(plan: Plan, workdir: Path, setup: dict[str, Any]) -> list[Row]:
    """Figure 3, on the tracker, then on the bare stack (answering the board's URL with a body
    of the tracker's board's size): the board API idle; `held_join` viewers joined from
    nothing; the board API while they are held; more viewers up to `held`, held for
    `held_seconds`; who dropped, and the server's peak RSS."""
    results: dict[str, dict[str, Any]] = {}
    board_bytes = 2000
    for name in ("tracker", "bare"):
        server = (
            TrackerServer(workdir, workdir / "tracker.sqlite3")
            if name == "tracker"
            else BareServer(workdir, 400, board_bytes)
        )
        with server:
            results[name] = _hold(plan, server, setup, workdir, tracker=name == "tracker")
        board_bytes = results[name]["board_bytes"]
    return _held_rows(plan, results["tracker"], results["bare"])


def _hold(
    plan: Plan, server: servers.Server, setup: dict[str, Any], workdir: Path, *, tracker: bool
) -> dict[str, Any]:
    the_setup = refresh(setup, server.url) if tracker else setup
    token = setup["writer_token"]
    idle, board_bytes = board_latencies(server.url, token, plan.board_requests)
    with LoadProcess(
        server.url,
        plan.held_join,
        the_setup,
        workdir,
        join_timeout=plan.join_timeout,
        parallel=plan.join_parallel,
    ) as load:
        first = load.ready
        time.sleep(SETTLE_S)
        during, _ = board_latencies(server.url, token, plan.board_requests)
        more = load.ask(
            {"cmd": "connect", "viewers": plan.held - plan.held_join, "timeout": plan.join_timeout}
        )
        time.sleep(plan.held_seconds)
        status = load.ask({"cmd": "status"})
        # Whoever is still connected must still be sent changes.
        check = load.ask({"cmd": "latency", "moves": 1})
        peak = memory_kb(server.pid)
    joined = first["joined"] + more["joined"]
    return {
        "idle": idle,
        "during": during,
        "board_bytes": board_bytes,
        "join_s": first["connect_s"],
        "join_cpu": first["cpu"],
        "more_s": more["connect_s"],
        "dropped": plan.held - joined + (joined - status["connected"]) + check["missed"],
        "check_s": check["latencies"][0] if check["latencies"] else math.nan,
        "never": plan.held - joined,
        "peak_mb": peak["VmHWM"] / 1024,
    }


def _held_rows(plan: Plan, app: dict[str, Any], bare: dict[str, Any]) -> list[Row]:
    n, total = plan.held_join, plan.held
    api = "GET /api/v1/boards/{id}"
    both = {"tracker": app, "bare": bare}

    def p(name: str, what: str, q: float) -> float:
        return percentile(both[name][what], q)

    def p50_p95(name: str, what: str) -> str:
        return f"{_ms(p(name, what, 50))}, {_ms(p(name, what, 95))}"

    held_vs_idle = {name: p(name, "during", 95) / p(name, "idle", 95) for name in both}
    label = f"{total} viewers held {plan.held_seconds:g} s"
    rows = [
        Row(
            "3",
            f"{n} viewers, from none: time for all to connect and join "
            f"(s; {plan.join_parallel} at a time)",
            f"{app['join_s']:.1f}",
            f"{bare['join_s']:.1f}",
            _ratio(app["join_s"], bare["join_s"]),
            target=f"≤ {JOIN_S:.0f} s",
            met=_met(app["join_s"] <= JOIN_S),
        ),
        Row(
            "3",
            "… the load process's CPU while they joined (share of one core)",
            f"{app['join_cpu']:.2f}",
            f"{bare['join_cpu']:.2f}",
        ),
        Row(
            "3",
            f"{api}, no viewers connected: p50, p95 ({plan.board_requests} requests one "
            "after another; ms)",
            p50_p95("tracker", "idle"),
            p50_p95("bare", "idle"),
        ),
        Row(
            "3",
            f"{api} with {n} viewers held: p50, p95 (ms)",
            p50_p95("tracker", "during"),
            p50_p95("bare", "during"),
        ),
        Row(
            "3",
            f"{api}: p95 with {n} viewers held ÷ p95 with none",
            f"{held_vs_idle['tracker']:.2f}×",
            f"{held_vs_idle['bare']:.2f}×",
            target=f"≤ {BOARD_API_VS_IDLE:.0f}×",
            met=_met(held_vs_idle["tracker"] <= BOARD_API_VS_IDLE),
        ),
        Row(
            "3",
            f"{total - n} more viewers, to {total}: time for all to join (s)",
            f"{app['more_s']:.1f}",
            f"{bare['more_s']:.1f}",
            _ratio(app["more_s"], bare["more_s"]),
        ),
        Row(
            "3",
            f"{label}: dropped (of which never joined within {plan.join_timeout:.0f} s: "
            f"{app['never']})",
            str(app["dropped"]),
            str(bare["dropped"]),
            target="0",
            met=_met(app["dropped"] == 0),
        ),
        Row(
            "3",
            f"{label}: the change made at the end, until the last of them had it (ms; one move)",
            _ms(app["check_s"]),
            _ms(bare["check_s"]),
            _ratio(app["check_s"], bare["check_s"]),
        ),
        Row(
            "3",
            f"{label}: server peak RSS, master + worker (MB)",
            f"{app['peak_mb']:.0f}",
            f"{bare['peak_mb']:.0f}",
            _ratio(app["peak_mb"], bare["peak_mb"]),
            target=f"≤ {RSS_MB:.0f} MB",
            met=_met(app["peak_mb"] <= RSS_MB),
        ),
    ]
    return rows


# --- 4: board size --------------------------------------------------------------------------------


def boards(plan: Plan) -> list[Row]:
    results = board_size.measure(plan.board_sizes, plan.board_repeat)
    rows: list[Row] = []
    smallest = min(plan.board_sizes)
    for what, label in (
        ("page", "board page"),
        ("api", "GET /api/v1/boards/{id}"),
        ("filtered_page", "board page, every filter on"),
        ("filtered_api", "GET /api/v1/boards/{id}, every filter on"),
    ):
        counts = {results[size][what]["queries"] for size in plan.board_sizes}
        base = results[smallest][what]["ms"]
        for size in plan.board_sizes:
            ms = results[size][what]["ms"]
            row = Row("4", f"{label}, {size} cards: p50 (ms)", f"{ms:.0f}")
            if size != smallest:
                row.baseline = f"{base:.0f} ({smallest} cards)"
                row.ratio = _ratio(ms, base)
                row.target = f"≤ {size / smallest:.0f}× (linear)"
                row.met = _met(ms / base <= size / smallest)
            if size == plan.target_cards:
                row.target = (row.target + "; " if row.target else "") + "≤ 150 ms"
                row.met = _met(ms <= 150 and (size == smallest or ms / base <= size / smallest))
            rows.append(row)
        rows.append(
            Row(
                "4",
                f"{label}: SQL queries per request at "
                + ", ".join(str(s) for s in plan.board_sizes)
                + " cards",
                ", ".join(str(results[size][what]["queries"]) for size in plan.board_sizes),
                target="the same for every size",
                met=_met(len(counts) == 1),
            )
        )
    return rows


# --- 5: exports ---------------------------------------------------------------------------------


def exports(plan: Plan) -> list[Row]:
    result = bench_exports.measure(
        plan.export_initiatives, plan.export_events, plan.export_repeat, plan.report_storm
    )
    label = f"{plan.export_initiatives} initiatives, {plan.export_events} events"
    rows = [Row("5", f"weekly report, {label}: compute only (s)", f"{result['compute']['s']:.2f}")]
    for fmt in bench_exports.FORMATS:
        row = result[fmt]
        rows.append(
            Row(
                "5",
                f"export {fmt.upper()} (s; render alone {row['render_s']:.2f})",
                f"{row['s']:.2f}",
                target="≤ 2 s" if fmt == "xlsx" else "",
                met=_met(row["s"] <= 2.0) if fmt == "xlsx" else "",
            )
        )
    for fmt in bench_exports.FORMATS:
        row = result[fmt]
        rows.append(
            Row(
                "5",
                f"{fmt.upper()} again, from the report cache vs its first build (ms)",
                _ms(row["cached"]),
                _ms(row["first"]),
                _ratio(row["cached"], row["first"]),
            )
        )
    return rows + _storm_rows(plan, result["storm"])


def _storm_rows(plan: Plan, storm: dict[str, Any]) -> list[Row]:
    """Another user's board while one viewer asks for `report_storm` XLSX reports at once (the
    same week's, then as many different weeks'): the tracker as shipped (report cache, build
    slots) against the same server with both turned off, in the same run."""
    n = plan.report_storm
    app, bare = storm["limited"], storm["unlimited"]
    base = "(ms; baseline: no report cache nor build limit)"
    rows = [
        Row(
            "5",
            f"another user's GET /api/v1/boards/{{id}} p{p}, idle {base}",
            _ms(percentile(app["idle"], p)),
            _ms(percentile(bare["idle"], p)),
            _ratio(percentile(app["idle"], p), percentile(bare["idle"], p)),
        )
        for p in (50, 95)
    ]
    for kind, what in (("same", "the same week's"), ("different", f"{n} different weeks'")):
        for p in (50, 95):
            mine, theirs = percentile(app[kind]["during"], p), percentile(bare[kind]["during"], p)
            row = Row(
                "5",
                f"… p{p} while one viewer asks for {what} XLSX report {n} times at once {base}"
                if kind == "same"
                else f"… p{p} while one viewer asks for {what} XLSX reports at once {base}",
                _ms(mine),
                _ms(theirs),
                _ratio(mine, theirs),
            )
            if p == 95:
                idle = percentile(app["idle"], 95)
                row.target = "≤ 3× idle p95"
                row.met = _met(mine <= 3 * idle)
            rows.append(row)
        rows.append(
            Row(
                "5",
                f"the viewer's {n} reports ({kind} weeks): all received (s; refused with 429 "
                f"and retried: {app[kind]['refused']}, baseline {bare[kind]['refused']})",
                f"{app[kind]['all_s']:.1f}",
                f"{bare[kind]['all_s']:.1f}",
                _ratio(app[kind]["all_s"], bare[kind]["all_s"]),
            )
        )
    return rows


# --- 6: two nodes -------------------------------------------------------------------------------


def nodes(plan: Plan, workdir: Path) -> list[Row]:
    try:
        result = two_nodes.measure(workdir, plan.node_viewers, plan.node_moves, plan.repeats)
    except two_nodes.Unavailable as reason:
        return [Row("6", "cross-node delivery p95", f"skipped ({reason})")]
    cross = percentiles_over_repeats(result["cross"])
    single = percentiles_over_repeats(result["single"])
    viewers = result["viewers"]
    rows = [
        Row(
            "6",
            f"delivery p{p}, {viewers} viewers on node 2, writer on node 1 vs node 2 (ms)",
            _ms(cross[p]),
            _ms(single[p]),
            _ratio(cross[p], single[p]),
        )
        for p in (50, 95)
    ]
    rows[1].target = "≤ 1.3× single node"
    rows[1].met = _met(cross[95] <= 1.3 * single[95])
    post = {name: percentiles_over_repeats(result["http"][name])[50] for name in result["http"]}
    rows.append(
        Row(
            "6",
            "the writer's POST alone, p50: to node 1 vs to node 2 (ms)",
            _ms(post["cross"]),
            _ms(post["single"]),
            _ratio(post["cross"], post["single"]),
        )
    )
    if result["missed"]:
        rows.append(Row("6", "moves some viewer never got", str(result["missed"]), target="0"))
    return rows


# --- the table --------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    header = Row("#", "figure", "tracker", "baseline", "ratio", "target", "met")
    lines = [header, Row("-", "-", "-:", "-:", "-:", "-", "-"), *rows]
    return "\n".join(
        "| "
        + " | ".join((r.item, r.figure, r.tracker, r.baseline, r.ratio, r.target, r.met))
        + " |"
        for r in lines
    )


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{mem_kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration):
        memory = "unknown RAM"
    import os

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory}, Python {platform.python_version()}; "
        f"load average at the end {load}"
    )


def profiled(directory: Path | None, name: str, run: Callable[[Plan], list[Row]], plan: Plan):
    """`run(plan)`, under pyinstrument when profiling (its text report into the folder)."""
    if directory is None:
        return run(plan)
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    with profiler:
        rows = run(plan)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.txt").write_text(profiler.output_text(unicode=True, show_all=False))
    return rows


# --- 7: digests ---------------------------------------------------------------------------


def digests(plan: Plan) -> list[Row]:
    result = bench_digests.measure(plan.digest_people, plan.digest_initiatives, plan.digest_events)
    label = (
        f"{plan.digest_people} people, {plan.digest_initiatives} initiatives, "
        f"{plan.digest_events} events ({result['notifications']} notifications)"
    )
    return [
        Row(
            "7",
            f"daily digests built and queued, {label} (s; {result['queued']} queued)",
            f"{result['build_s']:.2f}",
            target="≤ 10 s",
            met=_met(result["build_s"] <= 10.0),
        )
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smaller sizes, about three minutes")
    size.add_argument("--tiny", action="store_true", help="tiny sizes: the smoke test's")
    parser.add_argument("--only", type=int, nargs="+", choices=range(1, 8), default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="sample every tracker server with py-spy, and profile figures 4 and 5 with "
        "pyinstrument (pip install py-spy pyinstrument), into DIR",
    )
    args = parser.parse_args(argv)
    plan = TINY if args.tiny else QUICK if args.quick else FULL
    items = set(args.only or range(1, 8))
    servers.PROFILE_DIR = args.profile
    raise_fd_limit()
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="tracker-bench-"))
    rows: list[Row] = []
    failures = 0

    def stage(name: str, run: Callable[[], list[Row]]) -> None:
        nonlocal failures
        t0 = time.monotonic()
        print(f"… {name}", file=sys.stderr, flush=True)
        try:
            rows.extend(run())
        except Exception:
            failures += 1
            traceback.print_exc()
            rows.append(Row(name.split()[0], name, "**failed** (traceback above)"))
        print(f"  {name}: {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)

    try:
        setup: dict[str, Any] = {}
        if items & {1, 2, 3}:
            setup = prepare_database(workdir / "tracker.sqlite3")
        if items & {1, 2}:
            stage("1-2 live latency and throughput", lambda: live(plan, workdir, setup, items))
        if 3 in items:
            stage("3 viewers held", lambda: held(plan, workdir, setup))
        if 4 in items:
            stage("4 board size", lambda: profiled(args.profile, "board_size", boards, plan))
        if 5 in items:
            stage("5 exports", lambda: profiled(args.profile, "exports", exports, plan))
        if 6 in items:
            stage("6 two nodes", lambda: nodes(plan, workdir))
        if 7 in items:
            stage("7 digests", lambda: digests(plan))
    finally:
        if args.keep:
            print(f"work folder kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    mode = "--tiny" if args.tiny else "--quick" if args.quick else "(full)"
    print()
    print(table(rows))
    print()
    print(f"bench.run {mode}: {time.monotonic() - started:.0f} s on {machine()}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
