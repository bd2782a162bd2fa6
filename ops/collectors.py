import logging

from django.db import DatabaseError
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)


class TaskQueueCollector:
    """Tasks waiting and running in django-tasks-db's table, counted at scrape time so
    that every process reports the same figure."""

    def collect(self):
        from ops.task_queue import tasks_counted_by_queue

        gauge = GaugeMetricFamily(
            "eventgallery_task_queue_depth",
            "Background tasks ready to run (waiting) or running, by queue.",
            labels=["queue", "state"],
        )
        try:
            counts = tasks_counted_by_queue()
        except DatabaseError:
            # The other metrics are still worth scraping; /readyz names the database.
            logger.warning("Could not count the task queue", exc_info=True)
            return
        for queue_name, state, count in counts:
            gauge.add_metric([queue_name, state], count)
        yield gauge
