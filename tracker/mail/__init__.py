"""E-mail the tracker sends, through an outbox in the database.

`outbox` queues a message in the caller's transaction (unique per recipient, kind and period,
so nothing is queued twice) and hands due ones to a sender; `sender` builds and sends them
through `transport` (SMTP, `TRACKER_MAIL_*`), with retries that back off while the server is
away; `weekly` queues each board's weekly report for its recipients on Monday; `background`
runs the scheduler and the sender in every server process (`tracker send-due` does the same
from cron).
"""
