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
