"""Processes and ports, for the tests that start servers (end to end, production) and for
`bench/`: one free port, waiting for a condition, and stopping a process for good."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable

import requests


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Whether `predicate()` became true within `timeout` seconds (asked every `interval`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def answers(url: str) -> bool:
    """Whether anything answers HTTP at `url` (any status)."""
    try:
        requests.get(url, timeout=1)
    except requests.RequestException:
        return False
    return True


def stop(process: subprocess.Popen[bytes] | None, timeout: float = 10) -> None:
    """Terminate a process that is still running, killing it if it has not ended in time."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill(process)


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL, at once: a crash, not a shutdown. A process leading its own group (a server
    started with `start_new_session=True`: gunicorn's master and its worker) dies with the
    whole group, or the orphaned worker would go on serving."""
    try:
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except ProcessLookupError:
        pass
    process.wait(timeout=10)
