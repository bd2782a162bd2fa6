import logging

from django.db import DatabaseError
from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)


class TaskQueueCollector:
    """Tasks waiting and running in django-tasks-db's table, counted at scrape time so
    that every process reports the same figure."""

    def collect(self):
        from django_tasks_db.models import DBTaskResult

        gauge = GaugeMetricFamily(
            "eventgallery_task_queue_depth",
            "Background tasks ready to run (waiting) or running, by queue.",
            labels=["queue", "state"],
        )
        try:
            for state, tasks in (
                ("waiting", DBTaskResult.objects.ready()),
                ("running", DBTaskResult.objects.running()),
            ):
                for row in tasks.order_by().values("queue_name").annotate(n=Count("id")):
                    gauge.add_metric([row["queue_name"], state], row["n"])
        except DatabaseError:
            # The other metrics are still worth scraping; /readyz names the database.
            logger.warning("Could not count the task queue", exc_info=True)
            return
        yield gauge
