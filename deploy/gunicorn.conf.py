"""gunicorn settings for one Initiative Tracker server: `gunicorn -c deploy/gunicorn.conf.py
--bind 127.0.0.1:8001 wsgi:app`. Run more servers on more ports (systemd: tracker@PORT) and
list them in nginx's `upstream tracker`; Redis (TRACKER_MESSAGE_QUEUE) joins them up.

The app's settings come from TRACKER_* environment variables (systemd: EnvironmentFile).
"""

# One process per server. Socket.IO keeps its connections and rooms in the process, and
# nginx's sticky routing (ip_hash) is per server, not per process: more capacity means another
# server behind nginx, not another worker here.
workers = 1

# Threads with simple-websocket (Flask-SocketIO's threading mode): each open WebSocket holds
# one thread for as long as it is open, and ordinary requests need a few more. 50 threads is
# about 40 live viewers per server with room for requests; raise it, or add servers, for more.
worker_class = "gthread"
threads = 50

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

# Only nginx on this machine may set X-Forwarded-*; the app reads them with
# TRACKER_TRUSTED_PROXIES=1.
forwarded_allow_ips = "127.0.0.1,::1"
