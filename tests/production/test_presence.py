"""Presence across two gunicorn servers sharing Redis: a viewer on each node sees the same
list of who is looking, within two seconds; a node that is killed has its viewers dropped
from the list within thirty seconds; and the shared roster forgets a node that stops saying
it is alive, whatever any node remembers."""

from __future__ import annotations

import time

import pytest

from tests.processes import wait_until
from tests.production.conftest import Cluster
from tracker.realtime.roster import RedisRoster
from tracker.realtime.state import Connection

pytestmark = pytest.mark.production


def racer(i: int) -> tuple[str, str]:
    """How presence names the racing member `i` (tests/production/conftest.py)."""
    return (f"racer{i}", f"Racer organisation {i}")


def test_a_viewer_on_each_node_sees_the_same_presence_list_within_two_seconds(
    cluster: Cluster, api, viewers
):
    node1, node2 = cluster.nodes
    since = api(node1).last_seq()
    on_one = viewers(node1, "racer2", since)
    joined = time.monotonic()
    on_two = viewers(node2, "racer3", since)

    both = {racer(2), racer(3)}
    assert wait_until(lambda: both <= on_one.sees() and both <= on_two.sees(), 2.0), (
        f"node 1 sees {on_one.sees()}, node 2 sees {on_two.sees()}"
    )
    assert time.monotonic() - joined < 2.0
    assert on_one.sees() == on_two.sees()

    on_two.close()
    assert wait_until(lambda: racer(3) not in on_one.sees(), 2.0), on_one.sees()


def test_killing_a_node_drops_its_viewers_from_presence_within_thirty_seconds(
    cluster: Cluster, api, viewers
):
    node1, node2 = cluster.nodes
    since = api(node1).last_seq()
    on_one = viewers(node1, "racer4", since)
    viewers(node2, "racer5", since)
    assert wait_until(lambda: racer(5) in on_one.sees(), 2.0), on_one.sees()

    node2.kill()
    killed = time.monotonic()
    try:
        assert wait_until(lambda: racer(5) not in on_one.sees(), 30.0), on_one.sees()
        assert time.monotonic() - killed <= 30.0
        assert racer(4) in on_one.sees()
    finally:
        node2.start()


def test_the_shared_roster_forgets_a_node_that_stops_saying_it_is_alive(cluster: Cluster):
    board = 987_654  # a board nobody watches: only this test's entries
    alive = RedisRoster(cluster.redis.url, "alive-node", ttl=1)
    dying = RedisRoster(cluster.redis.url, "dying-node", ttl=1)
    mine = Connection("sid-a", 1, "Ada", "Council", None, "t", boards={board})
    theirs = Connection("sid-b", 2, "Ben", "Police", None, "t", boards={board})
    theirs.editing[board] = 42
    alive.refresh({board: [mine]})
    dying.refresh({board: [theirs]})

    names = {(e["user"], e["editing"]) for e in alive.entries(board, [mine])}
    assert names == {("Ada", None), ("Ben", 42)}

    def only_the_living() -> bool:
        alive.refresh({board: [mine]})  # the other node keeps on saying it is alive
        return alive.entries(board, [mine]) == [
            {"user": "Ada", "organisation": "Council", "editing": None}
        ]

    # The dying node stops refreshing: gone once its key expires (1 s here).
    assert wait_until(only_the_living, 5.0, interval=0.2)
    # Its entry was deleted, not only skipped; and a socket this node no longer has goes too.
    assert alive.entries(board, []) == []
    dying.refresh({})
    assert dying.entries(board, []) == []
