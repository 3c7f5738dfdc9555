"""Human review from the command line: send a benchmark version to Label Studio, or pull reviews now."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from annotation import services
from annotation.labelstudio import LabelStudioError
from annotation.models import ReviewProject
from benchmarks.models import Benchmark


class Command(BaseCommand):
    help = ("`review open BENCHMARK_ID [--version-number N] [--overlap K]`: send the version's samples to Label "
            "Studio; `review pull [BENCHMARK_ID] [--full]`: pull reviews (every review project without an id).")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["open", "pull"])
        parser.add_argument("benchmark", nargs="?", type=int)
        # Not --version: Django's own --version (the Django release) takes that name on every command.
        parser.add_argument("--version-number", "--number", dest="version_number", type=int,
                            help="version number (default: the latest)")
        parser.add_argument("--overlap", type=int, default=1, help="annotators per sample")
        parser.add_argument("--full", action="store_true", help="read every task, not only those changed")

    def handle(self, *args, **options):
        try:
            if options["action"] == "open":
                self._open(options)
            else:
                self._pull(options)
        except (LabelStudioError, ValidationError) as exc:
            raise CommandError(str(exc)) from exc

    def _open(self, options) -> None:
        benchmark = Benchmark.objects.filter(pk=options["benchmark"] or 0).first()
        if benchmark is None:
            raise CommandError("give the id of an existing benchmark")
        versions = benchmark.versions.order_by("-number")
        number = options["version_number"]
        version = versions.filter(number=number).first() if number is not None else versions.first()
        if version is None:
            raise CommandError(f"{benchmark} has no version {number}" if number is not None
                               else f"{benchmark} has no version yet")
        project = services.review_open(version=version, user=None, overlap=options["overlap"])
        sent = services.review_sync(project_id=project.pk)
        self.stdout.write(f"{benchmark} v{version.number}: {sent} new tasks; review at {project.editor_url}")

    def _pull(self, options) -> None:
        projects = ReviewProject.objects.order_by("pk")
        if options["benchmark"]:
            projects = projects.filter(version__benchmark_id=options["benchmark"])
            if not projects.exists():
                raise CommandError(f"benchmark {options['benchmark']} has no version in review")
        for project in projects:
            report = services.review_reconcile(project_id=project.pk, full=options["full"])
            self.stdout.write(f"{project}: {report.tasks} tasks read, {report.created} new, {report.updated} changed, "
                              f"{report.deleted} deleted reviews; {report.replaced} samples sent for replacement, "
                              f"{report.retired} tasks retired")
