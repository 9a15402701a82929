"""Two gunicorn servers behind nginx, sharing PostgreSQL and Redis: a change made through one
server reaches viewers on the other, a change made by the `tracker` command line reaches
viewers on both, and a race for an exclusive role split across the servers leaves exactly one
holder."""

from __future__ import annotations

import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.processes import free_port
from tests.production.conftest import (
    BIN,
    DEPLOY,
    HTTP_TIMEOUT,
    RACERS,
    ROOT,
    _program,
    summarise,
    tracker_cli,
)

pytestmark = pytest.mark.production


def test_a_move_through_node_one_reaches_a_viewer_on_node_two(cluster, api, viewers):
    node1, node2 = cluster.nodes
    envoy = api(node1)
    card = envoy.propose("Moved across servers")
    since = envoy.last_seq()
    on_one, on_two = viewers(node1, "racer0", since), viewers(node2, "racer1", since)
    exploring = next(s["id"] for s in envoy.board()["stages"] if s["name"] == "Exploring")

    sent = time.monotonic()
    envoy.ok(
        "POST",
        f"/initiatives/{card['id']}/move",
        {"stage_id": exploring, "position": 0, "version": card["version"]},
    )

    for viewer in (on_one, on_two):
        assert viewer.wait_for(since + 1), f"{viewer.name} stuck at {viewer.last_seq}"
        (event,) = viewer.applied
        assert event["type"] == "initiative_moved"
        assert event["initiative_id"] == card["id"]
        assert event["data"]["to"]["stage_id"] == exploring
    assert on_two.arrived[since + 1] - sent < 1.0


def test_changes_through_either_node_reach_every_viewer_once_in_order(cluster, api, viewers):
    """Twenty comments alternating between the nodes, one after another: every viewer on
    either node applies all twenty in order; how long each took to cross is measured."""
    node1, node2 = cluster.nodes
    card = api(node1).propose("Alternating servers")
    since = api(node1).last_seq()
    watching = [
        viewers(node1, "racer2", since),
        viewers(node1, "racer3", since),
        viewers(node2, "racer4", since),
        viewers(node2, "racer5", since),
    ]
    sent: dict[int, tuple[float, int]] = {}
    for i in range(20):
        origin = cluster.nodes[i % 2]
        started = time.monotonic()
        response = api(origin).comment(card["id"], f"note {i}")
        assert response.status_code == 201, response.text
        sent[since + i + 1] = (started, i % 2)
        # Wait for this one to arrive everywhere before the next, to time each crossing.
        for viewer in watching:
            assert viewer.wait_for(since + i + 1), f"{viewer.name} stuck at {viewer.last_seq}"

    expected = [e["seq"] for e in api(node2).events_since(since)]
    assert expected == list(range(since + 1, since + 21))
    crossing, local = [], []
    for index, viewer in enumerate(watching):
        assert viewer.seqs() == expected
        assert [e["data"]["body"] for e in viewer.applied] == [f"note {i}" for i in range(20)]
        viewer_node = 0 if index < 2 else 1
        for seq, (started, origin) in sent.items():
            (local if origin == viewer_node else crossing).append(viewer.arrived[seq] - started)
    cluster.measurements["delivery, change on the other node (request start → event)"] = summarise(
        crossing
    )
    cluster.measurements["delivery, change on the viewer's node"] = summarise(local)
    cluster.measurements["duplicate board_events received (20 changes × 4 viewers)"] = sum(
        v.duplicates for v in watching
    )
    assert max(crossing) < 1.0


def test_a_viewer_joining_node_two_late_is_replayed_what_node_one_committed(cluster, api, viewers):
    node1, node2 = cluster.nodes
    card = api(node1).propose("Joined late")
    since = api(node1).last_seq()
    for i in range(3):
        assert api(node1).comment(card["id"], f"before joining {i}").status_code == 201

    late = viewers(node2, "viewer", since)

    assert late.wait_for(since + 3), f"stuck at {late.last_seq}; errors {late.errors}"
    assert late.seqs() == [since + 1, since + 2, since + 3]


def test_a_tracker_cli_comment_reaches_viewers_on_both_nodes(cluster, api, viewers):
    node1, node2 = cluster.nodes
    card = api(node1).propose("Noted from a script")
    since = api(node1).last_seq()
    watching = [viewers(node1, "racer6", since), viewers(node2, "racer7", since)]

    started = time.monotonic()
    tracker_cli(
        cluster.env, "comment", str(card["id"]), "From the scheduled job", "--as",
        cluster.emails["envoy"],
    )  # fmt: skip
    finished = time.monotonic()

    for viewer in watching:
        assert viewer.wait_for(since + 1), f"{viewer.name} stuck at {viewer.last_seq}"
        (event,) = viewer.applied
        assert event["type"] == "comment_added"
        assert event["data"]["body"] == "From the scheduled job"
    cluster.measurements["CLI comment: process run (s)"] = round(finished - started, 2)
    cluster.measurements["CLI comment: process start → event on each node (s)"] = [
        round(v.arrived[since + 1] - started, 2) for v in watching
    ]


def test_twenty_exclusive_claims_split_across_both_nodes_leave_one_holder(cluster, api, viewers):
    node1, node2 = cluster.nodes
    envoy = api(node1)
    card = envoy.propose("Contested across servers")
    board = envoy.board()
    # Evaluator: exclusive, and claimed (Lead, exclusive too, is asked for on a new board).
    lead = next(r["id"] for r in board["role_types"] if r["name"] == "Evaluator")
    organisations = {o["name"]: o["id"] for o in envoy.ok("GET", "/organisations")}
    watching = [
        viewers(node1, "racer8", board["last_seq"]),
        viewers(node2, "racer9", board["last_seq"]),
    ]
    barrier = threading.Barrier(RACERS)

    def claim(i: int) -> int:
        racer = api(cluster.nodes[i % 2], f"racer{i}")
        barrier.wait(timeout=20)
        return racer.call(
            "POST",
            f"/initiatives/{card['id']}/claims",
            {"role_type_id": lead, "organisation_id": organisations[f"Racer organisation {i}"]},
        ).status_code

    with ThreadPoolExecutor(RACERS) as pool:
        statuses = list(pool.map(claim, range(RACERS)))

    assert sorted(statuses) == [201] + [409] * (RACERS - 1), statuses
    final = api(node2).ok("GET", f"/initiatives/{card['id']}")
    assert len([c for c in final["claims"] if c["role_type_id"] == lead]) == 1
    last = api(node2).last_seq()
    assert last == board["last_seq"] + 1
    for viewer in watching:
        assert viewer.wait_for(last), f"{viewer.name} stuck at {viewer.last_seq}"
        claims = [e for e in viewer.applied if e["initiative_id"] == card["id"]]
        assert [e["type"] for e in claims] == ["role_claimed"]


def test_nginx_serves_pages_api_and_browser_style_sockets(cluster, api, viewers):
    """Through nginx: the health check, a page, the API, and a socket that starts with
    long-polling and upgrades to a WebSocket, as a browser's does (sticky routing, the Upgrade
    headers and the Host header all matter here)."""
    nginx = cluster.nginx
    health = requests.get(nginx.url + "/healthz", timeout=HTTP_TIMEOUT)
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert any(health.headers["X-Upstream"].endswith(f":{n.port}") for n in cluster.nodes)
    login = requests.get(nginx.url + "/login", timeout=HTTP_TIMEOUT)
    assert login.status_code == 200
    assert "text/html" in login.headers["Content-Type"]

    through = api(nginx)
    card = through.propose("Through the proxy")
    since = through.last_seq()
    # websocket-client sends a browser's Origin (the URL's scheme, host and port) on the
    # upgrade: it must match the Host that nginx passes on.
    browser_like = viewers(nginx, "member", since, transports=["polling", "websocket"])
    assert _wait_for_upgrade(browser_like), "the socket never upgraded to a WebSocket"
    assert through.comment(card["id"], "seen through nginx").status_code == 201
    assert browser_like.wait_for(since + 1)
    assert browser_like.applied[-1]["data"]["body"] == "seen through nginx"


def _wait_for_upgrade(viewer, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if viewer.client.transport() == "websocket":
            return True
        time.sleep(0.05)
    return False


def test_production_refuses_to_start_with_the_development_secret_key(cluster, tmp_path):
    env = {k: v for k, v in cluster.env.items() if k != "TRACKER_SECRET_KEY"}
    done = subprocess.run(
        [str(BIN / "gunicorn"), "--config", str(DEPLOY / "gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{free_port()}", "wsgi:app"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "TRACKER_SECRET_KEY must be set" in done.stderr


def test_the_shipped_nginx_site_is_valid(tmp_path):
    """deploy/nginx/tracker.conf as installed (with a throwaway certificate): `nginx -t`."""
    nginx = _program("nginx", "/usr/sbin/nginx")
    openssl = _program("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=tracker.example.org", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = (DEPLOY / "nginx" / "tracker.conf").read_text()
    site = (
        site.replace(
            "/etc/nginx/snippets/tracker-proxy.conf", str(DEPLOY / "nginx" / "tracker-proxy.conf")
        )
        .replace("/etc/letsencrypt/live/tracker.example.org/fullchain.pem", str(cert))
        .replace("/etc/letsencrypt/live/tracker.example.org/privkey.pem", str(key))
        .replace("/var/log/nginx/", f"{tmp_path}/")
    )
    (tmp_path / "tracker.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"error_log {tmp_path}/error.log; pid {tmp_path}/nginx.pid;\n"
        "events {}\n"
        f"http {{ access_log off; include {tmp_path}/tracker.conf; }}\n"
    )
    done = subprocess.run(
        [nginx, "-t", "-e", str(tmp_path / "error.log"), "-p", str(tmp_path),
         "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ip_hash" in site
