"""A reviewed text benchmark with LLM calls in its ledger, for the dashboard tests."""
from __future__ import annotations

from decimal import Decimal

import pytest

from benchmarks.models import AgentRun, LLMCall
from tests.reviews import make_reviews


@pytest.fixture
def reviewed(built_text_benchmark):
    version = built_text_benchmark.version
    make_reviews(version)
    run = AgentRun.objects.filter(version=version, kind="build").first()
    for role, model, cost in (("design", "gpt-4o-mini", "0.0012"), ("verify", "gpt-4o-mini", "0.0030"),
                              ("verify", "gpt-4o", "0.0200")):
        LLMCall.objects.create(team=version.benchmark.team, run=run, role=role, model=model, prompt_tokens=1000,
                               completion_tokens=200, cost=Decimal(cost), latency_ms=1500)
    return version
