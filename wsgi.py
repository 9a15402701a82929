"""Production entry point: `gunicorn wsgi:app` (and `tracker run`, which runs the same)."""

from tracker import create_app
from tracker.mail import background

app = create_app()
# The outbox's sender and the weekly report's schedule, in each server process.
background.start(app)
