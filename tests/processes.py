"""Processes and ports, for the tests that start servers (end to end, production) and for
`bench/`: one free port, waiting for a condition, and stopping a process for good."""

from __future__ import annotations

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
        process.kill()
        process.wait(timeout=timeout)
