from django.core.management.base import BaseCommand

from ops.services import pipeline_heal


class Command(BaseCommand):
    help = (
        "Queues again what dead workers left: their running tasks, then the rows the apps' sweeps find "
        "stuck (photos stuck in processing or pending without a task, face indexes stuck in indexing). "
        "The workers (manage.py run_worker) do this by themselves every WORKER_SWEEP_INTERVAL_S; this is "
        "for operators who want it now."
    )

    def handle(self, *args, **options):
        report = pipeline_heal()
        self.stdout.write(f"Queued again: {report.summary()}.")
