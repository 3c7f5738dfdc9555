"""Import a General-Bench dataset pool folder into a team's pool."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from datapool.importers.general_bench import ImportError_
from datapool.services import pool_import
from teams.models import Team


class Command(BaseCommand):
    help = "Import a General-Bench pool (dataset_cards/ + datasets/) into a team's dataset pool."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default="", help="Pool folder (default: SEED_POOL_DIR).")
        parser.add_argument("--team", default=settings.DEMO_TEAM, help="Team slug.")

    def handle(self, *args, **options):
        team = Team.objects.filter(slug=options["team"]).first()
        if team is None:
            raise CommandError(f"unknown team {options['team']!r}")
        pool_dir = Path(options["path"] or settings.SEED_POOL_DIR)
        try:
            reports = pool_import(team=team, pool_dir=pool_dir)
        except ImportError_ as exc:
            raise CommandError(str(exc)) from exc
        for report in reports:
            if report.error:
                self.stderr.write(f"  {report.dataset}: NOT imported: {report.error}")
                continue
            line = (f"  {report.dataset}: {report.imported} records ({report.created} new, {report.updated} updated), "
                    f"{report.media_files} media files")
            if report.bad_rows:
                line += f", {len(report.bad_rows)} bad rows (first: row {report.bad_rows[0]['row']}: " \
                        f"{report.bad_rows[0]['reason']})"
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"{sum(1 for r in reports if not r.error)} datasets imported into {team.slug}"))
