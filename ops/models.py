from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per running worker (manage.py run_worker), touched every few seconds:
    readiness needs one touched recently. A worker removes its row when it stops."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid} ({self.worker_id})"


class RateLimitCounter(models.Model):
    """How many times one thing was done (a Find me search by one device, a wrong access
    code from one address...) in the window that ends at `expires_at`: the shared store
    of ops/ratelimits.py when there is no Redis. Every process counts through one
    atomic upsert on this row, so a limit holds across gunicorn workers and restarts."""

    bucket = models.CharField(max_length=100, primary_key=True)
    count = models.PositiveIntegerField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.bucket}: {self.count} until {self.expires_at:%H:%M:%S}"


class SweeperClaim(models.Model):
    """Which worker sweeps (ops.services.sweeper_turn), where the database has no advisory
    locks (SQLite): a worker takes the row by a conditional update when it is free or its
    claim expired (a sweeper that died), and frees it when done. PostgreSQL uses
    pg_try_advisory_lock instead and leaves this table empty."""

    name = models.CharField(max_length=50, primary_key=True)
    holder = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.holder} until {self.expires_at:%H:%M:%S}"
