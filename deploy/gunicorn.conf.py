"""gunicorn settings for one Initiative Tracker server: `gunicorn -c deploy/gunicorn.conf.py
--bind 127.0.0.1:8001 wsgi:app`. `tracker run` (and so `make run`) serves with these same
settings. Run more servers on more ports (systemd: tracker@PORT) and list them in nginx's
`upstream tracker`; Redis (TRACKER_MESSAGE_QUEUE) joins them up.

The app's settings come from TRACKER_* environment variables (systemd: EnvironmentFile).
Nothing of the app is imported here: the worker monkey-patches the standard library for
gevent first, then loads `wsgi:app`.
"""

import resource

# One process per server. Socket.IO keeps its connections and rooms in the process, and
# nginx's sticky routing (ip_hash) is per server, not per process: more capacity means another
# server behind nginx, not another worker here.
workers = 1

# gevent (Flask-SocketIO's gevent mode, WebSockets by simple-websocket): an open WebSocket is
# a greenlet or two, not a thread, so one server holds thousands of viewers (README,
# "Performance"). worker_connections bounds the open connections, sockets and requests
# together; each is a file descriptor, hence the limit raised below.
worker_class = "gevent"
worker_connections = 10000

# A default for running by hand; systemd (tracker@.service) passes --bind 127.0.0.1:PORT.
bind = "127.0.0.1:8001"
wsgi_app = "wsgi:app"

# The worker's heartbeat comes from its main loop, not from requests, so long-lived sockets
# do not trip this; it catches a worker that is truly stuck.
timeout = 30
# On stop or reload, open WebSockets never finish by themselves: give requests in flight a
# few seconds, then close the rest (their clients reconnect and catch up by sequence number).
graceful_timeout = 10
keepalive = 5

# nginx logs every request; gunicorn logs errors and its own life cycle to stderr (journald).
accesslog = None
errorlog = "-"
loglevel = "info"
proc_name = "tracker"
# No control socket (gunicorn 25.1+): its default path is per user, so servers on one machine
# would share it; systemd and signals manage the server.
control_socket_disable = True

# Only nginx on this machine may set X-Forwarded-*; the app reads them with
# TRACKER_TRUSTED_PROXIES=1.
forwarded_allow_ips = "127.0.0.1,::1"


def on_starting(_server: object) -> None:
    """Allow a descriptor per connection: raise the soft limit on open files to the hard one
    (systemd's LimitNOFILE sets the hard one)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = worker_connections + 1024
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def post_worker_init(worker: object) -> None:
    """In the worker, after the app is loaded: close the open sockets as soon as the worker
    is told to stop, so a restart takes a second rather than the graceful timeout."""
    from tracker.serving import close_sockets_when_stopping

    close_sockets_when_stopping(worker)
