"""The schema comes only from the migrations: empty → head → empty → head, on SQLite and (with
TRACKER_TEST_DATABASE_URL) on PostgreSQL, and the constraints hold afterwards."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from tests.conftest import (
    TEST_DATABASE_URL,
    AuthActions,
    FreshContextClient,
    _config,
    _server,
    _with_database,
)
from tests.factories import make_initiative, make_organisation, make_user, role_type
from tracker import create_app, demo
from tracker.extensions import db
from tracker.models import Claim, Initiative, RoleType


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[Path | str]:
    if not TEST_DATABASE_URL:
        yield tmp_path / "empty.sqlite3"
        return
    name = f"tracker_migrations_{os.getpid()}"
    server = _server(TEST_DATABASE_URL)
    with server.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield _with_database(TEST_DATABASE_URL, name)
    with server.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_and_the_lead_constraint_holds(empty_database):
    app = create_app(_config(empty_database))
    with app.app_context():
        upgrade()
        assert {"initiatives", "claims", "events", "board_visits"} <= tables()
        downgrade(revision="base")
        assert tables() == set()
        upgrade()
        board = demo.create_board()
        envoy = make_user("envoy")
        db.session.commit()
        initiative = make_initiative(board, envoy)
        lead = role_type(board, "Lead")
        first, second = make_organisation(), make_organisation()
        for org in (first, second):
            db.session.add(
                Claim(
                    initiative_id=initiative.id,
                    role_type_id=lead.id,
                    organisation_id=org.id,
                    slot=0,
                    claimed_by_id=envoy.id,
                )
            )
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def test_models_and_migrations_agree(empty_database):
    """`tracker db migrate` would find nothing to do: no change to the models without a
    migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    app = create_app(_config(empty_database))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == []


FIXTURE_0003 = Path(__file__).parents[1] / "fixtures" / "db-0003-demo-activity.sqlite3"


def _row_counts(path: Path) -> dict[str, int]:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        names = [n for n in sa.inspect(conn).get_table_names() if n not in ("alembic_version",)]
        counts = {
            n: conn.execute(sa.text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names
        }
    engine.dispose()
    return counts


def _events(path: Path) -> list[tuple]:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT board_id, seq, type, initiative_id, actor_user_id, actor_name, at, data "
                "FROM events ORDER BY board_id, seq"
            )
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_upgrading_a_database_written_at_0003_keeps_every_row_and_serves_everything(tmp_path):
    """`tracker db upgrade` on a copy of a real 0003 database (the demo board with activity:
    moves, RAG changes, claims, comments, an archived initiative; 62 events): every row and
    every event is still there, the role named Lead is the board's lead role, and the board,
    every initiative page and every format of the weekly report of 2026-W49 are served."""
    path = tmp_path / "tracker.sqlite3"
    shutil.copy(FIXTURE_0003, path)
    before_counts, before_events = _row_counts(path), _events(path)
    assert len(before_events) == 62

    app = create_app(_config(path))
    app.test_client_class = FreshContextClient
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    after_counts = _row_counts(path)
    assert {n: after_counts[n] for n in before_counts} == before_counts
    assert _events(path) == before_events

    with app.app_context():
        leads = db.session.scalars(sa.select(RoleType.name).where(RoleType.is_lead)).all()
        assert leads == ["Lead"]
        initiative_ids = db.session.scalars(sa.select(Initiative.id)).all()
        db.session.remove()
    client = app.test_client()
    auth = AuthActions(client)
    auth.login("envoy@demo.herts-lep.example", "demo-envoy-2026")
    board = client.get("/boards/1")
    assert board.status_code == 200
    assert "Lead: Hertfordshire County Council" in board.get_data(as_text=True)
    for initiative_id in initiative_ids:
        assert client.get(f"/initiatives/{initiative_id}").status_code == 200
    assert client.get("/boards/1/reports?week=2026-W49").status_code == 200
    for fmt in ("json", "csv", "xlsx", "html"):
        report = client.get(f"/api/v1/boards/1/reports/weekly?week=2026-W49&format={fmt}")
        assert report.status_code == 200, fmt
    document = client.get("/api/v1/boards/1/reports/weekly?week=2026-W49&format=json").get_json()
    assert document["week"]["last_seq"] == 62
    with app.app_context():
        db.engine.dispose()
