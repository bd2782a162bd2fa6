from django.core.management.base import BaseCommand

from ops.services import pipeline_heal


class Command(BaseCommand):
    help = (
        "Runs the worker's sweeps at once: the running tasks of dead workers queued again, then what the apps' "
        "sweeps find (photos stuck in processing or pending without a task, face indexes stuck in indexing, "
        "closed galleries that still hold face data, files and API uploads that no row needs). The workers "
        "(manage.py run_worker) do this by themselves, each sweep every WORKER_SWEEP_INTERVAL_S or as seldom as "
        "it asks (hourly, daily); this is for operators who want it now."
    )

    def handle(self, *args, **options):
        report = pipeline_heal()
        self.stdout.write(f"Swept: {report.summary()}.")
