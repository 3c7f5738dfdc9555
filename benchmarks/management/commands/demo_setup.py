"""Set up the demo of `make run`: a team, a user with a token, the dataset pool, and one benchmark
built from an example request with the offline engine. Safe to run again: nothing is duplicated."""
from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from benchmarks import services
from benchmarks.models import AgentRun, BenchmarkRequest
from datapool import starter
from datapool.models import Dataset
from teams.models import Membership
from teams.services import membership_set, team_get_or_create, user_get_or_create


class Command(BaseCommand):
    help = "Create the demo team and user, import the pool, build the demo benchmark (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="Where the UI will be served (for the login line).")

    def handle(self, *args, **options):
        team = team_get_or_create(slug=settings.DEMO_TEAM, name=settings.DEMO_TEAM.title())
        user = user_get_or_create(username=settings.DEMO_USERNAME, password=settings.DEMO_PASSWORD)
        membership_set(team=team, user=user, role=Membership.Role.OWNER)
        token, _ = Token.objects.get_or_create(user=user)

        # The starter pool (real datasets from installed packages) first, then the seed pool if present.
        call_command("starter_pool", team=team.slug, stdout=self.stdout, stderr=self.stderr)
        pool_dir = Path(settings.SEED_POOL_DIR)
        if pool_dir.is_dir():
            call_command("import_pool", str(pool_dir), team=team.slug, stdout=self.stdout, stderr=self.stderr)
        else:
            self.stderr.write(f"no dataset pool at {pool_dir} (set SEED_POOL_DIR); skipping import")
        # Card embeddings for semantic search, once per card text (quick when they are current).
        call_command("pool_embed", team=team.slug, stdout=self.stdout, stderr=self.stderr)

        starter_dir = Path(settings.STARTER_POOL_DIR)
        example = self._example_request(pool_dir) or self._example_request(starter_dir)
        if example is None and not pool_dir.is_dir():
            # No seed pool: the demo benchmark comes from the starter pool's own example request.
            example = self._example_request(starter_dir, starter.DEMO_QUERY)
        if example is None:
            self.stderr.write(f"no example request {settings.DEMO_REQUEST!r} in {pool_dir / 'user_queries'}")
        elif not Dataset.objects.filter(team=team).exists():
            self.stderr.write("the pool is empty; no demo benchmark built")
        else:
            self._demo_build(team, user, example)

        self.stdout.write(self.style.SUCCESS(
            f"\nLog in at http://{options['addr']}/ as {user.username} / "
            f"{settings.DEMO_PASSWORD if user.check_password(settings.DEMO_PASSWORD) else '(password unchanged)'}"
            f"\nAPI token for {user.username}: {token.key}"))

    def _example_request(self, pool_dir: Path, query_id: str = "") -> dict | None:
        for path in sorted((pool_dir / "user_queries").glob("*.json")):
            try:
                query = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            if query.get("id") == (query_id or settings.DEMO_REQUEST):
                return query
        return None

    def _demo_build(self, team, user, example: dict) -> None:
        request = (BenchmarkRequest.objects.filter(team=team, source_ref=example["id"])
                   .select_related("benchmark").order_by("created_at").first())
        if request is None:
            started = services.build_start(
                team=team, user=user, text=example["description"], target_size=settings.DEMO_SIZE,
                name=example["id"].removesuffix("_v1").replace("_", " ").capitalize(), source_ref=example["id"],
                auto_approve=True, run_in_background=False)
            run = started.run
        else:
            run = AgentRun.objects.filter(version__request=request, kind=AgentRun.Kind.BUILD).order_by("-id").first()
            if run.is_finished:
                self.stdout.write(f"demo benchmark {request.benchmark.name!r} is already built ({run.status})")
                return
            # A run cut short (the server was stopped mid-build) resumes where it stood.
            AgentRun.objects.filter(pk=run.pk).update(status=AgentRun.Status.QUEUED)
            AgentRun.objects.filter(parent=run).exclude(status__in=AgentRun.FINISHED).update(
                status=AgentRun.Status.QUEUED)
        self.stdout.write(f"building the demo benchmark ({settings.DEMO_SIZE} samples, offline engine)...")
        run = services.build_run_foreground(run_id=run.id)
        self.stdout.write(f"demo benchmark: run {run.id} {run.status}, {run.progress_done} samples")
