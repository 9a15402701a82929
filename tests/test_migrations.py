"""The schema comes only from the migrations: empty → head → empty → head, on SQLite and (with
TRACKER_TEST_DATABASE_URL) on PostgreSQL, and the constraints hold afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from tests.conftest import TEST_DATABASE_URL, _config, _server, _with_database
from tests.factories import make_initiative, make_organisation, make_user, role_type
from tracker import create_app, demo
from tracker.extensions import db
from tracker.models import Claim


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
