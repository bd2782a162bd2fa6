"""PostgreSQL as Django has it, with a health check that costs no round trip.

With CONN_HEALTH_CHECKS, Django makes sure a persistent connection still works before a
request's first query by sending it a SELECT 1: a round trip to the database on every
request, which under load was the largest part of the time a gallery page served from the
cache spent (bench/README.md, "Gallery page under gunicorn").

A connection that the server has closed (restarted, terminated, timed out) has something
to read on its socket: the server's last words, or the end of the stream. Only such a
connection is sent the SELECT 1 (and closed when it fails: the request gets a new one); a
connection with nothing to read is used as it is. One lost without a word (a network path
that drops everything) would have held SELECT 1 until its timeout too; its first query
fails instead, and Django closes it at the end of that request.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and not _has_something_to_read(self.connection)
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()


def _has_something_to_read(connection) -> bool:
    try:
        fileno = connection.fileno()
    except Exception:  # psycopg knows it is closed
        return True
    poller = select.poll()
    poller.register(fileno, select.POLLIN)
    return bool(poller.poll(0))
