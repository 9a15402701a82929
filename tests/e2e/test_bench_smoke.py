"""The benchmark harness at tiny sizes, so that `make bench` cannot rot: every figure is
measured (servers, viewer processes, the bare stack, boards, exports, the two-node tier when
it is here) and the table printed, with no stage failing. The numbers are not checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_harness_prints_every_figure_at_tiny_sizes():
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--tiny"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    table = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    items = {line.split("|")[1].strip() for line in table[2:]}
    assert items == {"1", "2", "3", "4", "5", "6", "7"}, done.stdout
    assert "failed" not in done.stdout
