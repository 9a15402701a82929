"""In every server process: about every `MAIL_SEND_EVERY_SECONDS`, queue what the schedule
says is due (`weekly.due`) and send the outbox (`sender.send_due`). Several processes and
nodes may run it at once: the outbox's unique keys and claims keep each message to one send.
Started by `wsgi.py` (so by gunicorn, in production and `tracker run`), not by the app
factory: a command or a test process starts none."""

from __future__ import annotations

from flask import Flask

from tracker.extensions import db, socketio
from tracker.mail import digest, sender, weekly


def start(app: Flask) -> None:
    every = float(app.config.get("MAIL_SEND_EVERY_SECONDS") or 0)
    if every > 0:
        socketio.start_background_task(_loop, app, every)


def _loop(app: Flask, every: float) -> None:
    failing = ""
    while True:
        socketio.sleep(every)
        with app.app_context():
            try:
                weekly.due()
                digest.due()
                sender.send_due()
                failing = ""
            except Exception as error:  # the database is away: say so once, try again later
                db.session.rollback()
                if str(error) != failing:
                    app.logger.warning("mail round failed: %s", error)
                failing = str(error)
            finally:
                db.session.remove()
