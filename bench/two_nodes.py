"""Two nodes: cross-node delivery against single-node delivery, on the production tier.

Reuses tests/production's pieces: a fresh PostgreSQL database (reached directly, not through
the tests' TCP forwarder), a redis-server of its own, and two gunicorn servers from
deploy/gunicorn.conf.py, reached on their own ports (nginx routes browsers; it plays no part
in delivery between the servers).
Viewers watch node 2. Two load processes alternate: one writes through node 2 (single node:
the change still goes through Redis, as every change does when a queue is configured), the
other through node 1 (cross node). Both groups watch the same room, so every move reaches the
same sockets whichever group made it; each group moves cards of its own.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from bench.servers import LoadProcess, refresh


class Unavailable(Exception):
    """The production tier cannot be set up here; the reason is the message."""


def measure(
    workdir: Path, viewers: int, moves: int, repeats: int, pause: float = 0.02
) -> dict[str, Any]:
    """{"single": [[latency…] per repeat], "cross": […], "http": {"single": […], "cross": […]}
    (the writer's POST alone), "missed": n, "viewers": n}."""
    import pytest

    from tests.production import conftest as production

    with contextlib.ExitStack() as stack:
        try:
            production._program("redis-server")
            production._program("nginx", "/usr/sbin/nginx")
            database = production.Database()
        except (pytest.skip.Exception, pytest.fail.Exception) as error:
            raise Unavailable(str(error.msg)) from None
        except ImportError as error:  # psycopg missing
            raise Unavailable(str(error)) from None
        stack.callback(database.drop)
        redis = production.Redis(workdir)
        redis.start()
        stack.callback(redis.stop)
        # Straight to PostgreSQL: the tests' TCP forwarder (there to cut the database off)
        # is a Python relay, and would add its own delays to every query.
        unused = production.Forwarder((database.host, database.port))
        env = {
            **production._base_env(database, unused, redis),
            "TRACKER_DATABASE_URL": database.url,
            # Every viewer connects from this machine's one address, many at once.
            "TRACKER_SOCKETIO_PENDING_PER_ADDRESS": "100000",
        }
        production.tracker_cli(env, "db", "upgrade")
        production.tracker_cli(env, "seed-demo")
        tokens, _emails = production._make_accounts(database.url)
        nodes = [production.Node(f"node{i}", workdir, env) for i in (1, 2)]
        for node in nodes:
            node.launch()
            stack.callback(node.stop)
        for node in nodes:
            node.wait_until_up()
        node1, node2 = nodes

        api = production.Api(node1.url, tokens["envoy"])
        cards = [api.propose(f"Two-node bench card {i}") for i in range(8)]
        stages = [s["id"] for s in sorted(api.board()["stages"], key=lambda s: s["position"])]
        base = {
            "tokens": [tokens[f"racer{i}"] for i in range(production.RACERS)],
            "writer_token": tokens["envoy"],
            "stages": stages[1:3],
        }
        groups = {}
        for name, cards_of_group, write_url in (
            ("single", cards[:4], node2.url),
            ("cross", cards[4:], node1.url),
        ):
            setup = refresh({**base, "cards": cards_of_group}, node1.url)
            groups[name] = stack.enter_context(
                LoadProcess(node2.url, viewers, setup, workdir, write_url=write_url)
            )
        results: dict[str, Any] = {"single": [], "cross": [], "missed": 0}
        results["http"] = {"single": [], "cross": []}
        results["viewers"] = min(g.ready["joined"] for g in groups.values())
        for rep in range(repeats):
            order = ("single", "cross") if rep % 2 == 0 else ("cross", "single")
            for name in order:
                answer = groups[name].ask({"cmd": "latency", "moves": moves, "pause": pause})
                results[name].append(answer["latencies"])
                results["http"][name].append(answer["http"])
                results["missed"] += answer["missed"]
        return results
