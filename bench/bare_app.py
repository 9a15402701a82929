"""The bare stack: Flask-SocketIO in the tracker's async mode (gevent, simple-websocket),
served the same way (gunicorn with deploy/gunicorn.conf.py), with none of the tracker on top.

    BENCH_PAYLOAD_BYTES=420 gunicorn -c deploy/gunicorn.conf.py -b 127.0.0.1:5001 bench.bare_app:app

Viewers `join` board 1's room as they do on the tracker. `POST /api/v1/initiatives/<id>/move`
with `{"version": v}` only emits a fixed payload of BENCH_PAYLOAD_BYTES bytes (as JSON) to that
room: what the tracker's `board_event` for a move weighs, with no database, no policy and no
event log. It carries `initiative_id` and `data.version` so that the load process recognises it
as it recognises the tracker's events. `GET /api/v1/boards/<id>` answers a fixed JSON body of
BENCH_BOARD_BYTES bytes: what the tracker's board weighs, with nothing computed.
"""

from __future__ import annotations

import json
import os
from typing import Any

from flask import Flask, Response, request
from flask_socketio import SocketIO, join_room

from tracker.serving import async_mode

ROOM = "board:1"

app = Flask(__name__)
socketio = SocketIO(
    app,
    async_mode=async_mode(),
    manage_session=False,
    logger=False,
    engineio_logger=False,
    max_http_buffer_size=16 * 1024,
)
PAYLOAD_BYTES = int(os.environ.get("BENCH_PAYLOAD_BYTES", "400"))
BOARD_BYTES = int(os.environ.get("BENCH_BOARD_BYTES", "2000"))
BOARD_BODY = json.dumps({"id": 1, "pad": ""})
BOARD_BODY = BOARD_BODY[:-2] + "x" * max(0, BOARD_BYTES - len(BOARD_BODY)) + BOARD_BODY[-2:]


def payload(initiative_id: int, version: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "initiative_id": initiative_id,
        "data": {"version": version},
        "pad": "",
    }
    # Padded to the tracker's size, as the tracker's JSON encoder would write it.
    short = PAYLOAD_BYTES - len(json.dumps(body))
    body["pad"] = "x" * max(0, short)
    return body


@socketio.on("join")
def on_join(_payload: Any = None) -> dict[str, Any]:
    join_room(ROOM)
    return {"last_seq": 0}


@app.post("/api/v1/initiatives/<int:initiative_id>/move")
def move(initiative_id: int) -> dict[str, Any]:
    version = int((request.get_json(silent=True) or {}).get("version", 0)) + 1
    socketio.emit("board_event", payload(initiative_id, version), to=ROOM)
    return {"id": initiative_id, "version": version}


@app.get("/api/v1/boards/<int:board_id>")
def board(board_id: int) -> Response:
    return Response(BOARD_BODY, mimetype="application/json")


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
