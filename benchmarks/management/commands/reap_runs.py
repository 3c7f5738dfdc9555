"""Re-queue running builds and cells whose worker died (what the every-minute schedule does)."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from benchmarks import services


class Command(BaseCommand):
    help = "Queue again the runs that have shown no sign of life for --stale-after seconds."

    def add_arguments(self, parser):
        parser.add_argument("--stale-after", type=float, default=None,
                            help="Seconds without a sign of life (default: BENCH_RUN_STALE_AFTER_S).")

    def handle(self, *args, **options):
        queued = services.runs_reap(stale_after_s=options["stale_after"])
        self.stdout.write(f"queued again: {', '.join(map(str, queued)) or 'none'}")
