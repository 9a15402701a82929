"""Board size: how the board page and `GET /api/v1/boards/{id}` grow with the number of cards.

    .venv/bin/python -m bench.board_size [--sizes 100 1000 5000] [--repeat 5]

One scratch SQLite database (the real migrations) holds a board per size, filled straight
into the tables (the domain operations would take minutes for 5,000 cards) but valid for the
page: every initiative in a stage and a swimlane with a position, a Lead and a Partner claim
each. Each URL is requested in-process through the Flask test client, signed in as a viewer
(the page), as an envoy (the page with a Move… form on every card) or with a bearer token (the
API): the median time of `--repeat` requests after a warm-up, and the SQL statements one
request sends (a `before_cursor_execute` listener). The warm-up's own time is reported too
(`first`): the board's first view, before any of its cards is rendered (for the first size it
also compiles the templates).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

PASSWORD = "bench-password-2026"
# Every kind of filter at once (tracker.board.filters): text search, RAG, next step due and
# "no update for 14 days", each needing its own read.
FILTER = "q=partners&rag=red&rag=amber&due=soon&stale=1"


@contextmanager
def counting(engine: sa.Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def fill(board_id: int, size: int, organisation_ids: list[int], user_id: int) -> None:
    """`size` live cards on the board, each with a Lead and a Partner claim."""
    from tracker import board as board_ops
    from tracker.extensions import db
    from tracker.models import Claim, Initiative

    rng = random.Random(size)
    the_board = board_ops.load_board(board_id)
    stages = [s.id for s in the_board.stages]
    lanes = [g.id for g in the_board.grand_challenges]
    roles = {r.name: r.id for r in the_board.role_types}
    start = datetime(2026, 1, 5, tzinfo=UTC)
    first_id = (db.session.scalar(sa.select(sa.func.max(Initiative.id))) or 0) + 1
    positions: dict[tuple[int, int], int] = {}
    cards, claims = [], []
    for n in range(size):
        at = start + timedelta(minutes=n)
        cell = (stages[n % len(stages)], lanes[(n // len(stages)) % len(lanes)])
        position = positions.get(cell, 0)
        positions[cell] = position + 1
        cards.append(
            {
                "id": first_id + n,
                "board_id": board_id,
                "title": f"Initiative {n} on a board of {size}",
                "summary": "A synthetic initiative for the board-size benchmark.",
                "grand_challenge_id": cell[1],
                "stage_id": cell[0],
                "position": position,
                "rag": rng.choice(["not_set", "red", "amber", "green"]),
                "rag_reason": "",
                "next_step": "Meet the partners",
                "next_step_due": (start + timedelta(days=rng.randint(0, 120))).date(),
                "barriers": "",
                "proposing_organisation_id": rng.choice(organisation_ids),
                "archived": False,
                "version": 1,
                "created_at": at,
                "updated_at": at,
                "stage_entered_at": at,
            }
        )
        lead, partner = rng.sample(organisation_ids, 2)
        for role, organisation, slot in (("Lead", lead, 0), ("Partner", partner, None)):
            claims.append(
                {
                    "initiative_id": first_id + n,
                    "role_type_id": roles[role],
                    "organisation_id": organisation,
                    "slot": slot,
                    "claimed_by_id": user_id,
                    "claimed_at": at,
                }
            )
    db.session.execute(sa.insert(Initiative), cards)
    db.session.execute(sa.insert(Claim), claims)
    db.session.commit()


def measure(sizes: list[int], repeat: int) -> dict[int, dict[str, dict[str, float]]]:
    """For each size: {"page" | "editor_page" | "api" | "filtered_page" | "filtered_api":
    {"ms": median, "first_ms": warm-up, "queries": n, "bytes": n}} (filtered: `FILTER`)."""
    from flask_migrate import upgrade

    from bench.servers import quiet_upgrade
    from tracker import accounts, api_tokens, create_app, demo
    from tracker.extensions import db
    from tracker.models import Organisation

    results: dict[int, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{Path(tmp) / 'boards.sqlite3'}",
                "SECRET_KEY": "bench",
                "WTF_CSRF_ENABLED": False,
            }
        )
        with app.app_context():
            quiet_upgrade(upgrade)
            viewer = accounts.create_user(
                "bench-viewer@example.org",
                organisation_name="Bench viewers",
                role="viewer",
                password=PASSWORD,
                new_organisation=True,
            )
            accounts.create_user(
                "bench-envoy@example.org",
                organisation_name="Bench viewers",
                role="envoy",
                password=PASSWORD,
            )
            organisations = [Organisation(name=f"Bench partner {i}") for i in range(12)]
            db.session.add_all(organisations)
            db.session.flush()
            token = api_tokens.create_token(viewer, "bench")
            boards = {size: demo.create_board(f"Board of {size}") for size in sizes}
            db.session.commit()
            board_ids = {size: b.id for size, b in boards.items()}
            org_ids = [o.id for o in organisations]
            for size in sizes:
                fill(board_ids[size], size, org_ids, viewer.id)
            engine = db.engine
            db.session.remove()

        page_client = app.test_client()
        signed_in = page_client.post(
            "/login", data={"email": "bench-viewer@example.org", "password": PASSWORD}
        )
        assert signed_in.status_code == 302, signed_in.status_code
        editor_client = app.test_client()
        signed_in = editor_client.post(
            "/login", data={"email": "bench-envoy@example.org", "password": PASSWORD}
        )
        assert signed_in.status_code == 302, signed_in.status_code
        api_client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        for size in sizes:
            results[size] = {}
            for name, client, path, extra in (
                ("page", page_client, f"/boards/{board_ids[size]}", {}),
                ("editor_page", editor_client, f"/boards/{board_ids[size]}", {}),
                ("api", api_client, f"/api/v1/boards/{board_ids[size]}", headers),
                ("filtered_page", page_client, f"/boards/{board_ids[size]}?{FILTER}", {}),
                (
                    "filtered_api",
                    api_client,
                    f"/api/v1/boards/{board_ids[size]}?{FILTER}",
                    headers,
                ),
            ):
                started = time.perf_counter()
                client.get(path, headers=extra)  # warm-up: templates, caches
                first = time.perf_counter() - started
                with counting(engine) as statements:
                    response = client.get(path, headers=extra)
                assert response.status_code == 200, (path, response.status_code)
                samples = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    response = client.get(path, headers=extra)
                    samples.append(time.perf_counter() - started)
                    assert response.status_code == 200
                results[size][name] = {
                    "ms": statistics.median(samples) * 1000,
                    "first_ms": first * 1000,
                    "queries": len(statements),
                    "bytes": len(response.data),
                }
        with app.app_context():
            db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = measure(args.sizes, args.repeat)
    print(
        f"{'cards':>6}{'page ms':>10}{'queries':>9}{'api ms':>10}{'queries':>9}"
        f"{'envoy page ms':>15}{'first page ms':>15}{'first api ms':>14}"
        f"{'filtered page ms':>18}{'queries':>9}{'filtered api ms':>17}{'queries':>9}"
    )
    for size, row in results.items():
        print(
            f"{size:>6}{row['page']['ms']:>10.1f}{row['page']['queries']:>9}"
            f"{row['api']['ms']:>10.1f}{row['api']['queries']:>9}"
            f"{row['editor_page']['ms']:>15.1f}{row['page']['first_ms']:>15.1f}"
            f"{row['api']['first_ms']:>14.1f}"
            f"{row['filtered_page']['ms']:>18.1f}{row['filtered_page']['queries']:>9}"
            f"{row['filtered_api']['ms']:>17.1f}{row['filtered_api']['queries']:>9}"
        )


if __name__ == "__main__":
    main()
