"""Committed defaults. Secrets and deployment settings come from `instance/config.py`
or `TRACKER_*` environment variables, never from this file."""

# Keys that are (or were) written in public: no configuration may sign with them (the old
# development default, and the placeholder of deploy/tracker.env.example).
PUBLIC_SECRET_KEYS = frozenset({"dev-only-not-secret", "replace-with-64-hex-characters"})

# Empty means: outside production, a random key generated on first start into
# `instance/secret_key` (mode 0600, git-ignored) and reused after; production must set one.
SECRET_KEY = ""

# Empty means: SQLite in the instance folder (filled in by create_app).
DATABASE_URL = ""
SQLALCHEMY_ENGINE_OPTIONS: dict = {}
SQLITE_BUSY_TIMEOUT_MS = 15000

# Login sessions (the `login_sessions` table): a session ends after this long without a page
# or API request, and this long after signing in, whatever happens.
SESSION_IDLE_MINUTES = 8 * 60
SESSION_MAX_DAYS = 14

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
WTF_CSRF_TIME_LIMIT = None

# The largest request body, and the largest form field, the app reads (bytes): beyond them a
# request is refused with 413 before it is read into memory (chunked bodies too).
MAX_CONTENT_LENGTH = 1024 * 1024
MAX_FORM_MEMORY_SIZE = 1024 * 1024

DISPLAY_TIMEZONE = "Europe/London"

# flask-smorest / OpenAPI
API_TITLE = "Initiative Tracker API"
API_VERSION = "1.0.0"
OPENAPI_VERSION = "3.0.3"
OPENAPI_URL_PREFIX = "/api/v1"
OPENAPI_JSON_PATH = "openapi.json"

# Socket.IO: origins allowed to open a socket, besides the app's own host.
SOCKETIO_ALLOWED_ORIGINS: list[str] = []
MESSAGE_QUEUE = ""
# Engine.IO heartbeat, seconds: a ping every interval, and this long to answer it.
SOCKETIO_PING_INTERVAL = 25
SOCKETIO_PING_TIMEOUT = 20
# Presence: at most one list per board per this many seconds, joins and leaves in between
# merged (0: every change at once). With a message queue, a node that stops saying it is
# alive (killed) has its viewers dropped from every list after this many seconds.
PRESENCE_INTERVAL_SECONDS = 1.0
PRESENCE_NODE_TTL_SECONDS = 20
# A socket's user is checked again (active, signed in, token valid) before it is answered or
# sent a board's change, at most this many seconds after the last check: a page's join right
# after its connect costs no query, nor does every change on a busy board. Operations that
# cut someone off here end their sockets at once; this bounds the rest (another node, the CLI,
# a sign-in that expired).
SOCKET_RECHECK_SECONDS = 1.0

# E-mail (`tracker.mail`). MAIL_SERVER empty: nothing is sent, messages wait in the outbox
# (the administration's mail page says so). The rest: MAIL_PORT (587), MAIL_USE_TLS (STARTTLS,
# true), MAIL_USE_SSL (false), MAIL_USERNAME / MAIL_PASSWORD, MAIL_SENDER, MAIL_TIMEOUT (10 s).
MAIL_SERVER = ""
# Where links in e-mails point (no request to take the host from): the address people open.
PUBLIC_URL = "http://127.0.0.1:5000"
# The weekly report goes out on Monday from this time (London): the previous ISO week's.
WEEKLY_REPORT_SEND_AT = "08:00"
# How often each server process looks for due messages and sends them (seconds; 0: never,
# `tracker send-due` from cron does it instead). A failed message waits 1, 2, 4 … minutes, at
# most MAIL_RETRY_MAX_MINUTES, before the next try.
MAIL_SEND_EVERY_SECONDS = 30
MAIL_RETRY_MAX_MINUTES = 60
# The digest's period ends at this time (London): every day for a daily one, Monday for a
# weekly one.
DIGEST_SEND_AT = "08:00"
