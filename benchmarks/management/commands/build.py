"""Build a benchmark from a request in the foreground, with a progress bar (the same path as the queue)."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from tqdm import tqdm

from benchmarks import services
from benchmarks.models import AgentRun, Sample
from teams.models import Team


class Command(BaseCommand):
    help = 'Build a benchmark: manage.py build "<request text>" --size N [--team T]'

    def add_arguments(self, parser):
        parser.add_argument("text", help="What the benchmark should evaluate.")
        parser.add_argument("--size", type=int, required=True, help="How many samples.")
        parser.add_argument("--team", default="", help="Team slug (default: the only team, if there is one).")
        parser.add_argument("--name", default="", help="Benchmark name.")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the record draw.")
        parser.add_argument("--engine", default="", choices=["", "offline", "llm"],
                            help="Planning brain (default: BENCH_ENGINE; llm needs OPENAI_BASE_URL).")
        parser.add_argument("--budget-tokens", type=int, default=None, help="LLM tokens the build may spend.")
        parser.add_argument("--budget-money", type=float, default=None, help="USD the build may spend on LLM calls.")
        parser.add_argument("--review", action="store_true",
                            help="Plan only: the spec waits for review on its page (default: approve and build).")
        parser.add_argument("--accept-partial", action="store_true",
                            help="Build a plan that serves only part of the request (by default such a spec "
                                 "waits for review, its coverage saying what is not served).")

    def handle(self, *args, **options):
        team = self._team(options["team"])
        try:
            started = services.build_start(team=team, text=options["text"], target_size=options["size"],
                                           name=options["name"], seed=options["seed"],
                                           auto_approve=not options["review"], run_in_background=False,
                                           engine=options["engine"], budget_tokens=options["budget_tokens"],
                                           budget_money=options["budget_money"])
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        self.stdout.write(f"building {started.version} for team {team.slug} "
                          f"(run {started.run.id}, {started.run.engine} engine)")
        with tqdm(total=options["size"], unit="sample", disable=None) as bar:
            def on_progress(done: int, _total: int) -> None:
                bar.update(max(0, done - bar.n))

            run = services.build_run_foreground(run_id=started.run.id, on_progress=on_progress,
                                                accept_partial=options["accept_partial"])
        accepted = Sample.objects.filter(version=started.version, status__in=["ok", "repaired"]).count()
        rejected = Sample.objects.filter(version=started.version, status="rejected").count()
        if run.status == AgentRun.Status.AWAITING_APPROVAL:
            spec_url = reverse("spec-detail", args=[started.version.benchmark_id])
            event = run.events.filter(kind="awaiting_approval").order_by("-id").first()
            held = (event.data or {}).get("held") if event else None
            message = f"{started.version}: planned; the spec waits for review at {spec_url}"
            if held:  # asked to build, but the plan is not what was asked: say why, and how to go on
                self.stdout.write(self.style.WARNING(f"{message}: {event.message}" + (
                    " (or build it anyway with --accept-partial)" if held == ["partial"] else "")))
            else:
                self.stdout.write(self.style.SUCCESS(message))
            return
        if run.status == AgentRun.Status.BUDGET_EXHAUSTED:
            raise CommandError(f"build stopped: {run.error}")
        if run.status == AgentRun.Status.PARTIAL:
            self.stdout.write(self.style.WARNING(f"{started.version}: partial — {run.error}; benchmark id "
                                                 f"{started.version.benchmark_id}"))
            return
        if run.status != AgentRun.Status.SUCCEEDED:
            raise CommandError(f"build failed: {run.error}")
        self.stdout.write(self.style.SUCCESS(
            f"{started.version}: {accepted} samples ({rejected} rejected by verification), benchmark id "
            f"{started.version.benchmark_id}"))

    def _team(self, slug: str) -> Team:
        if slug:
            team = Team.objects.filter(slug=slug).first()
            if team is None:
                raise CommandError(f"unknown team {slug!r}")
            return team
        teams = list(Team.objects.all()[:2])
        if len(teams) != 1:
            raise CommandError("name the team with --team (there is not exactly one)")
        return teams[0]
