"""Under gevent (the production server), CPU-bound work that would stall every open socket
runs on a thread: an Argon2 hash lets the event loop go on. Measured in a process of its
own, monkey-patched as gunicorn's gevent worker patches, against the same hash made on the
event loop itself."""

from __future__ import annotations

import json
import subprocess
import sys

from tracker import ROOT

SCRIPT = """
from gevent import monkey

monkey.patch_all()

import json
import time

import gevent

from tracker import accounts
from tracker.serving import async_mode, gevent_active

gaps = []


def ticker():
    last = time.perf_counter()
    while True:
        gevent.sleep(0.001)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


def longest_stall(hash_once):
    gevent.sleep(0.05)
    start = len(gaps)
    began = time.perf_counter()
    for _ in range(3):
        hash_once()
    took = time.perf_counter() - began
    gevent.sleep(0.01)
    return max(gaps[start:]), took


gevent.spawn(ticker)
on_thread = longest_stall(lambda: accounts.hash_password("correct horse battery staple"))
on_loop = longest_stall(lambda: accounts._hasher.hash("correct horse battery staple"))
print(json.dumps({"active": gevent_active(), "mode": async_mode(),
                  "thread": on_thread, "loop": on_loop}))
"""


def test_password_hashing_does_not_stall_the_event_loop():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["active"] is True
    assert found["mode"] == "gevent"
    thread_stall, thread_took = found["thread"]
    loop_stall, _ = found["loop"]
    # On the loop, one hash stalls everything for its whole duration.
    assert loop_stall > 0.02, found
    # On a thread, the loop goes on meanwhile: a stall of a few milliseconds at most.
    assert thread_stall < loop_stall / 3, found
    assert thread_stall < thread_took / 6, found
