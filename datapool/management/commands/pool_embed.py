"""Compute the stored embedding of every card that lacks a current one, ahead of search."""
from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from datapool.search import pool_embed
from teams.models import Team


class Command(BaseCommand):
    help = ("Embed dataset cards for semantic search (all-MiniLM-L6-v2, offline). Cards whose embedding "
            "was made from their current text are left alone, so running it again is cheap.")

    def add_arguments(self, parser):
        parser.add_argument("--team", default="", help="Only the datasets this team sees (its own and shared); "
                                                       "default: every card of the pool.")

    def handle(self, *args, **options):
        team_ids = None
        if options["team"]:
            team = Team.objects.filter(slug=options["team"]).first()
            if team is None:
                raise CommandError(f"unknown team {options['team']!r}")
            team_ids = [team.id]

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  embedded {done}/{total}")

        started = time.perf_counter()
        report = pool_embed(team_ids=team_ids, on_progress=progress)
        self.stdout.write(self.style.SUCCESS(
            f"{report.embedded} cards embedded, {report.unchanged} already current "
            f"({time.perf_counter() - started:.1f} s)"))
