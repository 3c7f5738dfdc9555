"""Check that every frozen version is still what was frozen: its checksum recomputed (with the scheme
it was frozen with) and its media files against their sha256. Exits non-zero, naming each version
that changed, so a cron job or CI step fails loudly."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from benchmarks.freezing import frozen_versions_verify


class Command(BaseCommand):
    help = "Verify the checksum (and media files) of every frozen version; exit 1 when one no longer matches."

    def add_arguments(self, parser):
        parser.add_argument("--team", default=None, help="Only this team's versions (its slug).")
        parser.add_argument("--skip-media", action="store_true",
                            help="Do not re-hash media files (only the checksum of the items in the database).")

    def handle(self, *args, **options):
        checked, changed = 0, []
        for integrity in frozen_versions_verify(team_slug=options["team"], media=not options["skip_media"]):
            checked += 1
            version = integrity.version
            label = f"{version.benchmark.team.slug}/{version.benchmark.slug} v{version.number}"
            if integrity.intact:
                self.stdout.write(f"ok        {label} (checksum {integrity.recorded[:16]}, "
                                  f"scheme v{version.checksum_scheme})")
            else:
                changed.append(label)
                self.stderr.write(f"CHANGED   {label}: {integrity.describe()}")
        if changed:
            raise CommandError(f"{len(changed)} of {checked} frozen versions changed since they were frozen: "
                               f"{', '.join(changed)}")
        self.stdout.write(f"{checked} frozen version(s) verified; none changed.")
