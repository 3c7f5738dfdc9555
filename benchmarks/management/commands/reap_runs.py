"""Hand out again what dead workers held (what the every-minute schedule and every worker do)."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from benchmarks import recovery


class Command(BaseCommand):
    help = ("Queue again the runs whose worker died, the queued runs whose task was lost with a dead worker, "
            "and remove half-written media and stale upload files.")

    def add_arguments(self, parser):
        parser.add_argument("--stale-after", type=float, default=None,
                            help="Seconds without a heartbeat before a running run counts as dead "
                                 "(default: BENCH_RUN_STALE_AFTER_S).")
        parser.add_argument("--queued-after", type=float, default=None,
                            help="Seconds a queued run may wait outside the broker's queue before its task is "
                                 "handed out again (default: BENCH_QUEUED_STALE_AFTER_S).")

    def handle(self, *args, **options):
        for name in ("stale_after", "queued_after"):
            if options[name] is not None and options[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} must be zero or more seconds, not {options[name]:g}")
        report = recovery.runs_reap(stale_after_s=options["stale_after"], queued_after_s=options["queued_after"])
        self.stdout.write(str(report))
