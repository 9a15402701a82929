"""What a weekly report may cost: a cache of produced files, and a bound on each user's
concurrent builds.

A report is computed from the event log, so a finished week's report never changes: it is
kept, as the file's bytes, under a key made of everything it is computed from (the board, the
week, the format, the last event the week holds, the names it shows, and the code that renders
it) and served from there. A running week's key holds the board's current last event and the
time bucket the report is measured in (`REPORT_CACHE_RUNNING_SECONDS`), because its figures
(days without update, due today) move with the clock even when nothing is written.

Files, not a table: nothing to migrate, no write lock taken on SQLite to store a file, and
eviction is deleting files. Each server keeps its own (several nodes each build a report once).
The folder is bounded (`REPORT_CACHE_MAX_MB`): after each write the least recently served
files go until it is under the bound. A cache that cannot be read or written is logged and
skipped, never a failed report.

Build slots: at most `REPORT_BUILDS_PER_USER` builds at a time per user (a cache hit takes no
slot, nor does a request that waits for the same report already being built in this process);
beyond it the request is refused with 429 and `Retry-After`, so that one person asking for
many reports at once cannot slow the board for everyone. In one process the count is a
counter under a lock; with a message queue (`MESSAGE_QUEUE=redis://…`, several workers) it is
a sorted set per user in Redis, whose entries expire (`REPORT_BUILD_SLOT_SECONDS`) so a worker
that dies mid-build does not hold a slot for ever.

Settings (`TRACKER_` environment variables): REPORT_CACHE_DIR (default `instance/cache/reports`),
REPORT_CACHE_MAX_MB (default 200; 0 turns the cache off), REPORT_CACHE_RUNNING_SECONDS
(default 300), REPORT_BUILDS_PER_USER (default 2; 0 for no limit), REPORT_BUILD_RETRY_AFTER
(seconds, default 3), REPORT_BUILD_SLOT_SECONDS (default 300).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from tracker.errors import DomainError

EXTENSION = "tracker.reports"
ROOT = Path(__file__).resolve().parents[2]


class Busy(DomainError):
    """This user already has as many reports being built as allowed."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def init_app(app: Flask) -> None:
    app.config.setdefault("REPORT_CACHE_DIR", str(Path(app.instance_path) / "cache" / "reports"))
    app.config.setdefault("REPORT_CACHE_MAX_MB", 200)
    app.config.setdefault("REPORT_CACHE_RUNNING_SECONDS", 300)
    app.config.setdefault("REPORT_BUILDS_PER_USER", 2)
    app.config.setdefault("REPORT_BUILD_RETRY_AFTER", 3)
    app.config.setdefault("REPORT_BUILD_SLOT_SECONDS", 300)
    app.config.setdefault("REPORT_BUILDS_REDIS_PREFIX", "tracker:report-builds")
    app.extensions[EXTENSION] = {"slots": None}


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the code and templates that render a report, so that a release which
    changes a report does not serve the files the previous one made."""
    digest = hashlib.sha256()
    paths = [
        *sorted((ROOT / "tracker" / "reports").glob("*.py")),
        *sorted((ROOT / "templates" / "reports").glob("*.html")),
        ROOT / "static" / "css" / "report.css",
    ]
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    import openpyxl

    digest.update(openpyxl.__version__.encode())
    return digest.hexdigest()[:16]


# --- the cache ------------------------------------------------------------------------------


def _directory() -> Path:
    return Path(current_app.config["REPORT_CACHE_DIR"])


def _max_bytes() -> int:
    return int(float(current_app.config["REPORT_CACHE_MAX_MB"]) * 1024 * 1024)


def cache_get(key: str) -> bytes | None:
    """The file stored under `key`, or None. A hit marks the file as recently used."""
    if _max_bytes() <= 0:
        return None
    path = _directory() / key
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        current_app.logger.warning("Report cache: cannot read %s: %s", path, error)
        return None
    with contextlib.suppress(OSError):  # recently used: trimmed last (a read-only cache serves)
        os.utime(path)
    return body


def cache_put(key: str, body: bytes) -> None:
    """Store `body` under `key` (written whole, then renamed: a reader never sees half a
    file), then trim the folder to its bound."""
    limit = _max_bytes()
    if limit <= 0 or len(body) > limit:
        return
    directory = _directory()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".writing-")
        with os.fdopen(handle, "wb") as out:
            out.write(body)
        os.replace(temporary, directory / key)
        _trim(directory, limit)
    except OSError as error:
        current_app.logger.warning("Report cache: cannot write in %s: %s", directory, error)


def _trim(directory: Path, limit: int) -> None:
    """Delete the least recently used files until the folder holds at most `limit` bytes."""
    files = []
    abandoned = time.time() - 3600
    for entry in os.scandir(directory):
        if not entry.is_file():
            continue
        stat = entry.stat()
        # A file still being written is not counted, unless its writer died long ago.
        if not entry.name.startswith(".writing-") or stat.st_mtime < abandoned:
            files.append((stat.st_mtime, stat.st_size, entry.path))
    total = sum(size for _, size, _ in files)
    for _, size, path in sorted(files):
        if total <= limit:
            break
        with contextlib.suppress(FileNotFoundError):  # another process trimmed it first
            os.unlink(path)
        total -= size


def cache_key(parts: list[Any]) -> str:
    """A file name for a report: the digest of everything it is computed from."""
    digest = hashlib.sha256(repr([code_version(), *parts]).encode("utf-8")).hexdigest()
    return digest[:40]


# Builds under way in this process, by cache key: a request for a report someone is already
# building waits for that build and is served its file, instead of building it again.
_building: dict[str, threading.Event] = {}
_building_lock = threading.Lock()


@contextmanager
def one_build(key: str, wait_seconds: float = 120) -> Iterator[bool]:
    """Run the block as the one build of `key` in this process (yields False), or, when
    another request is building it, first wait for that build to end (yields True: look in
    the cache again before building). Without a cache there is nothing to share."""
    if _max_bytes() <= 0:
        yield False
        return
    with _building_lock:
        running = _building.get(key)
        if running is None:
            _building[key] = done = threading.Event()
    if running is not None:
        running.wait(wait_seconds)
        yield True
        return
    try:
        yield False
    finally:
        with _building_lock:
            _building.pop(key, None)
        done.set()


# --- build slots -----------------------------------------------------------------------------


class LocalSlots:
    """Concurrent builds per user in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: Counter[int] = Counter()

    def acquire(self, user_id: int, limit: int) -> str | None:
        with self._lock:
            if self._held[user_id] >= limit:
                return None
            self._held[user_id] += 1
            return "local"

    def release(self, user_id: int, _token: str) -> None:
        with self._lock:
            self._held[user_id] -= 1
            if self._held[user_id] <= 0:
                del self._held[user_id]


# Atomic in Redis: drop expired entries, refuse when full, else add this build's token.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class RedisSlots:
    """Concurrent builds per user across every worker that shares the Redis server."""

    def __init__(self, url: str, prefix: str, slot_seconds: int) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._prefix = prefix
        self._slot_seconds = slot_seconds
        self._fallback = LocalSlots()

    def _key(self, user_id: int) -> str:
        return f"{self._prefix}:{user_id}"

    def acquire(self, user_id: int, limit: int) -> str | None:
        import redis

        token = secrets.token_hex(8)
        now = time.time()
        try:
            taken = self._acquire(
                keys=[self._key(user_id)],
                args=[now, now + self._slot_seconds, limit, token, self._slot_seconds + 60],
            )
        except redis.RedisError as error:
            # The limit protects the server; with Redis away it still holds per process.
            current_app.logger.warning("Report build slots: Redis unavailable (%s)", error)
            return self._fallback.acquire(user_id, limit)
        return token if taken else None

    def release(self, user_id: int, token: str) -> None:
        import redis

        if token == "local":
            self._fallback.release(user_id, token)
            return
        try:
            self._redis.zrem(self._key(user_id), token)
        except redis.RedisError as error:
            current_app.logger.warning("Report build slots: cannot release (%s)", error)


def _slots() -> LocalSlots | RedisSlots:
    state = current_app.extensions[EXTENSION]
    if state["slots"] is None:
        config = current_app.config
        queue = config.get("MESSAGE_QUEUE") or ""
        state["slots"] = (
            RedisSlots(
                queue,
                config["REPORT_BUILDS_REDIS_PREFIX"],
                int(config["REPORT_BUILD_SLOT_SECONDS"]),
            )
            if queue.startswith(("redis://", "rediss://", "unix://"))
            else LocalSlots()
        )
    slots: LocalSlots | RedisSlots = state["slots"]
    return slots


@contextmanager
def build_slot(user_id: int | None) -> Iterator[None]:
    """Hold one of the user's build slots while the block runs; `Busy` when none is free.
    `None` (the command line) is not limited."""
    limit = int(current_app.config["REPORT_BUILDS_PER_USER"])
    if user_id is None or limit <= 0:
        yield
        return
    slots = _slots()
    token = slots.acquire(user_id, limit)
    if token is None:
        retry = int(current_app.config["REPORT_BUILD_RETRY_AFTER"])
        raise Busy(
            f"You already have {limit} report{'s' if limit != 1 else ''} being generated. "
            f"Try again in {retry} seconds, when one of them is ready.",
            retry_after=retry,
        )
    try:
        yield
    finally:
        slots.release(user_id, token)
