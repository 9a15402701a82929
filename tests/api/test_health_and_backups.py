"""Running it: health checks, a clear 503 while the database is away, backups, and the
command-line change that reaches open boards."""

from __future__ import annotations

import sqlalchemy as sa

from tests.factories import make_initiative, make_token
from tracker import create_app
from tracker.extensions import db, socketio
from tracker.models import Comment, Initiative


def test_healthz_answers_and_readyz_reports_each_dependency(app, client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ready", "database": "ok", "queue": "not configured"}


def test_readyz_names_an_unreachable_queue(app, client):
    # Set after start-up: binding Socket.IO to a queue that is not there is not the point.
    app.config["MESSAGE_QUEUE"] = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert set(response.json["error"]["fields"]) == {"queue"}
    assert response.json["error"]["code"] == "not_ready"


def test_unreachable_database_gives_503_with_the_error_shape(tmp_path):
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3", "SECRET_KEY": "t"}
    )
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "database" in ready.json["error"]["fields"]
    api = client.get("/api/v1/boards", headers={"Authorization": "Bearer trk_anything"})
    assert api.status_code == 503
    assert api.json["error"]["code"] == "database_unavailable"
    assert api.headers["Retry-After"] == "5"
    assert "Traceback" not in api.get_data(as_text=True)


def test_backup_and_restore_round_trip(runner, the_board, users, tmp_path):
    make_initiative(the_board, users["envoy"], title="In the backup")
    backup = tmp_path / "backup.db"
    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    make_initiative(the_board, users["envoy"], title="After the backup")
    db.session.remove()
    result = runner.invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    titles = set(db.session.scalars(sa.select(Initiative.title)))
    assert titles == {"In the backup"}


def test_backup_refuses_a_missing_folder(runner, app, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "nope" / "b.db")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_comment_command_adds_a_note_that_reaches_open_boards(app, runner, the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    sock = socketio.test_client(app, auth={"token": make_token(users["viewer"])})
    sock.emit("join", {"board_id": the_board.id, "since": the_board.last_seq + 1}, callback=True)
    sock.get_received()
    result = runner.invoke(
        args=["comment", str(initiative.id), "From the scheduler", "--as", users["envoy"].email]
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(Comment.body)) == "From the scheduler"
    events = [m["args"][0] for m in sock.get_received() if m["name"] == "board_event"]
    assert [e["type"] for e in events] == ["comment_added"]
    refused = runner.invoke(args=["comment", str(initiative.id), "x", "--as", "nobody@example.org"])
    assert refused.exit_code == 2
