"""The benchmark suite: live latency, scale and cost, side by side with the bare stack.

    .venv/bin/python -m bench.run            # make bench: the sizes the issue names
    .venv/bin/python -m bench.run --quick    # make bench-quick: smaller, under two minutes
    .venv/bin/python -m bench.run --only 1 4 # some figures only

Prints one Markdown table. Figures, numbered as in the issue:

1. Broadcast latency: N viewers (python-socketio clients, WebSocket, in a process of their
   own: bench/load.py) watch board 1 of `tracker run`; a writer in that process moves cards
   one at a time over HTTP; for each move, the time from just before the POST until the LAST
   viewer has the event. p50/p95/p99 per repeat, the median over repeats; the same against
   the bare stack (bench/bare_app.py: Flask-SocketIO, same async mode and server, an endpoint
   that only emits a payload of the same size to the same room); ratio tracker ÷ bare.
   Repeats alternate between the two, so both see the same machine.
2. Write throughput: 4 writers, each moving a card of its own as fast as it can, with 100
   viewers connected; changes per second counted until every viewer has every change.
3. Viewers held: N connections joined to the board, held; dropped ones (never joined, or
   disconnected while held, or not sent a change made at the end) and the server's peak
   RSS (VmHWM). The bare stack holds the same number, for comparison.
4. Board size: bench/board_size.py.  5. Exports, the report cache, and what one user's 16
   reports at once cost another user's board (bench/bench_exports.py).
6. Two nodes: bench/two_nodes.py (skipped, with the reason, without PostgreSQL/Redis/nginx).

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
from bench.servers import (
    BareServer,
    LoadProcess,
    TrackerServer,
    event_size,
    memory_kb,
    prepare_database,
    raise_fd_limit,
    refresh,
)


@dataclass
class Plan:
    """The sizes of one run."""

    viewers: list[int] = field(default_factory=lambda: [10, 100, 500])
    moves: dict[int, int] = field(default_factory=lambda: {10: 60, 100: 60, 500: 30})
    repeats: int = 3
    throughput_viewers: int = 100
    throughput_writers: int = 4
    throughput_seconds: float = 5.0
    held: int = 1000
    held_seconds: float = 60.0
    join_timeout: float = 300.0
    board_sizes: list[int] = field(default_factory=lambda: [100, 1000, 5000])
    board_repeat: int = 5
    export_initiatives: int = 1000
    export_events: int = 100_000
    export_repeat: int = 3
    report_storm: int = 16  # one viewer's XLSX reports at once, while another reads the board
    node_viewers: int = 15
    node_moves: int = 30
    target_viewers: int = 100  # where the latency target applies
    target_cards: int = 1000  # where the board-size target applies


FULL = Plan()
QUICK = Plan(
    viewers=[10, 100],
    moves={10: 20, 100: 20},
    repeats=2,
    throughput_seconds=2.0,
    held=200,
    held_seconds=10.0,
    join_timeout=90.0,
    board_sizes=[100, 1000],
    board_repeat=3,
    export_repeat=1,
    node_viewers=10,
    node_moves=15,
)
# For tests/e2e/test_bench_smoke.py: every code path, tiny sizes.
TINY = Plan(
    viewers=[3],
    moves={3: 3},
    repeats=1,
    throughput_viewers=3,
    throughput_writers=2,
    throughput_seconds=0.5,
    held=5,
    held_seconds=0.5,
    join_timeout=30.0,
    board_sizes=[10, 20],
    board_repeat=1,
    export_initiatives=20,
    export_events=500,
    export_repeat=1,
    node_viewers=2,
    node_moves=2,
    target_viewers=3,
    target_cards=20,
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
                    name: LoadProcess(server.url, n, refresh(setup, app.url), workdir)
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
            f"{n} viewers: time for all to connect and join (s)",
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
    left = dict(joined)
    for rep in range(plan.repeats):
        order = ("bare", "tracker") if rep % 2 == 0 else ("tracker", "bare")
        for name in order:
            answer = loads[name].ask({"cmd": "latency", "moves": plan.moves[n]})
            runs[name].append(answer["latencies"])
            missed[name] += answer["missed"]
            left[name] = answer["viewers"]
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
        elif p == 95 and n == plan.target_viewers:
            row.target = "≤ 100 ms and ≤ 1.5× bare"
            row.met = _met(app[p] <= 0.100 and app[p] <= 1.5 * bare[p])
        rows.append(row)
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
    results: dict[str, dict[str, Any]] = {}
    database = workdir / "tracker.sqlite3"
    size = 400
    for name in ("tracker", "bare"):
        server = (
            TrackerServer(workdir, database) if name == "tracker" else BareServer(workdir, size)
        )
        with server:
            the_setup = refresh(setup, server.url) if name == "tracker" else setup
            with LoadProcess(
                server.url, plan.held, the_setup, workdir, join_timeout=plan.join_timeout
            ) as load:
                time.sleep(plan.held_seconds)
                status = load.ask({"cmd": "status"})
                # Whoever is still connected must still be sent changes.
                check = load.ask({"cmd": "latency", "moves": 1})
                peak = memory_kb(server.pid)
            never = plan.held - load.ready["joined"]
            results[name] = {
                "dropped": never + (load.ready["joined"] - status["connected"]) + check["missed"],
                "never": never,
                "join_s": load.ready["connect_s"],
                "peak_mb": peak["VmHWM"] / 1024,
                "threads": peak["Threads"],
            }
    app, bare = results["tracker"], results["bare"]
    label = f"{plan.held} viewers held {plan.held_seconds:.0f} s"
    return [
        Row(
            "3",
            f"{label}: dropped (of which not joined, or lost, within {plan.join_timeout:.0f} s "
            f"of connecting: {app['never']})",
            str(app["dropped"]),
            str(bare["dropped"]),
            target="0",
            met=_met(app["dropped"] == 0),
        ),
        Row(
            "3",
            f"{label}: time for all to join (s)",
            f"{app['join_s']:.1f}",
            f"{bare['join_s']:.1f}",
            _ratio(app["join_s"], bare["join_s"]),
        ),
        Row(
            "3",
            f"{label}: server peak RSS (MB; threads)",
            f"{app['peak_mb']:.0f} ({app['threads']})",
            f"{bare['peak_mb']:.0f} ({bare['threads']})",
            _ratio(app["peak_mb"], bare["peak_mb"]),
            target="≤ 300 MB",
            met=_met(app["peak_mb"] <= 300),
        ),
    ]


# --- 4: board size --------------------------------------------------------------------------------


def boards(plan: Plan) -> list[Row]:
    results = board_size.measure(plan.board_sizes, plan.board_repeat)
    rows: list[Row] = []
    smallest = min(plan.board_sizes)
    for what, label in (("page", "board page"), ("api", "GET /api/v1/boards/{id}")):
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smaller sizes, under two minutes")
    size.add_argument("--tiny", action="store_true", help="tiny sizes: the smoke test's")
    parser.add_argument("--only", type=int, nargs="+", choices=range(1, 7), default=None)
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
    items = set(args.only or range(1, 7))
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
