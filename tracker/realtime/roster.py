"""Who is looking at each board, as one list for every server of a deployment.

Each process keeps its own connections (`state.Registry`). Without a message queue that is
the whole picture (`LocalRoster`). With one, every node also writes its viewers to Redis
(`RedisRoster`): a hash per board, one field per connection, naming the node; each node
refreshes a liveness key (`tracker:presence:node:<id>`, expiring after `ttl` seconds) and
re-writes its entries on the same beat, so a killed node's viewers drop out of every list
within `ttl` seconds and a restarted Redis is refilled. Readers skip, and delete, the entries
of nodes whose key has expired.

An entry is `{user, organisation, editing}`: what the `presence` event lists, per socket.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # state imports this module
    from tracker.realtime.state import Connection

Entry = dict[str, Any]


def entry_of(conn: Connection, board_id: int) -> Entry:
    """What one socket contributes to a board's presence list."""
    return {
        "user": conn.name,
        "organisation": conn.organisation,
        "editing": conn.editing.get(board_id),
    }


class LocalRoster:
    """The presence of one process: its own connections are the list."""

    shared = False

    def entries(self, board_id: int, local: Iterable[Connection]) -> list[Entry]:
        return [entry_of(conn, board_id) for conn in local]

    def put(self, board_id: int, conn: Connection) -> None:
        """Record (or update) a socket's entry on a board."""

    def remove(self, board_id: int, sid: str) -> None:
        """Drop a socket's entry from a board."""

    def refresh(self, boards: dict[int, list[Connection]]) -> None:
        """Say this node is alive and re-write its entries."""


class RedisRoster:
    """The presence of every node, shared through Redis; raises when Redis does not answer
    (the caller falls back to this node's own viewers)."""

    shared = True

    def __init__(self, url: str, node: str, ttl: float) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.node = node
        self.ttl = ttl

    @staticmethod
    def _board_key(board_id: int) -> str:
        return f"tracker:presence:{board_id}"

    @staticmethod
    def _node_key(node: str) -> str:
        return f"tracker:presence:node:{node}"

    def _field(self, sid: str) -> str:
        return f"{self.node}:{sid}"

    def entries(self, board_id: int, local: Iterable[Connection]) -> list[Entry]:
        """Every live node's entries for the board (two round trips); `local` are this
        node's connections on the board. Dead nodes' entries are deleted on the way."""
        own = {self._field(conn.sid).encode() for conn in local}
        stored: dict[bytes, bytes] = self._redis.hgetall(self._board_key(board_id))  # type: ignore[assignment]
        if not stored:
            return []
        by_node: dict[str, list[tuple[bytes, bytes]]] = {}
        for field, value in stored.items():
            node = field.decode().partition(":")[0]
            by_node.setdefault(node, []).append((field, value))
        nodes = sorted(by_node)
        alive = self._redis.mget([self._node_key(node) for node in nodes])
        found: list[Entry] = []
        dead: list[bytes] = []
        for node, flag in zip(nodes, alive, strict=True):
            for field, value in by_node[node]:
                # This node knows its own sockets: an entry it failed to delete (Redis was
                # away) goes now. Another node's go when that node stops saying it is alive.
                gone = field not in own if node == self.node else flag is None
                if gone:
                    dead.append(field)
                else:
                    found.append(json.loads(value))
        if dead:
            self._redis.hdel(self._board_key(board_id), *dead)
        return found

    def put(self, board_id: int, conn: Connection) -> None:
        self._redis.hset(
            self._board_key(board_id),
            self._field(conn.sid),
            json.dumps(entry_of(conn, board_id)),
        )

    def remove(self, board_id: int, sid: str) -> None:
        self._redis.hdel(self._board_key(board_id), self._field(sid))

    def refresh(self, boards: dict[int, list[Connection]]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(self._node_key(self.node), "1", ex=max(1, round(self.ttl)))
        for board_id, conns in boards.items():
            if conns:
                mapping = {self._field(c.sid): json.dumps(entry_of(c, board_id)) for c in conns}
                pipe.hset(self._board_key(board_id), mapping=mapping)  # type: ignore[arg-type]
        pipe.execute()
