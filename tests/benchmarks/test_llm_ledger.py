"""The LLM layer in the Django shell: the ledger rows, the database cache, settings."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import BaseModel

from agents.llm import LLMClient, LLMRequest
from benchmarks import services
from benchmarks.adapters import (
    DjangoLedger,
    DjangoLLMCache,
    llm_client_for_run,
    llm_config_from_settings,
)
from benchmarks.models import LLMCacheEntry, LLMCall
from benchplatform.env import env_json
from tests.llm_server import ok, ok_json


class Verdict(BaseModel):
    label: str
    score: int


MESSAGES = [{"role": "system", "content": "You grade answers."}, {"role": "user", "content": "Grade: 2+2=4"}]
VERDICT = {"label": "correct", "score": 5}


@pytest.fixture
def run(team_a, user_a):
    return services.build_start(auto_approve=True, team=team_a, user=user_a, target_size=5, run_in_background=False,
                                text="Can a model grade arithmetic answers?").run


@pytest.fixture
def llm_settings(settings, llm_server):
    settings.OPENAI_BASE_URL = llm_server.base_url
    settings.OPENAI_API_KEY = "sk-test"
    settings.LLM_MODEL = "gpt-4.1-mini"
    settings.LLM_ROLE_SETTINGS = {"judge": {"model": "gpt-4.1", "temperature": 0.0, "max_tokens": 300},
                                  "design": {"model": "local-llama", "temperature": 0.7, "max_tokens": 900}}
    settings.LLM_PRICES = {"gpt-4.1": [2.0, 8.0], "gpt-4.1-mini": [0.4, 1.6]}
    settings.LLM_CONCURRENCY = 2
    return settings


def test_config_from_settings(llm_settings, llm_server):
    config = llm_config_from_settings()
    assert config.base_url == llm_server.base_url
    assert config.api_key == "sk-test"
    assert config.for_role("judge").model == "gpt-4.1"
    assert (config.for_role("design").model, config.for_role("design").temperature,
            config.for_role("design").max_tokens) == ("local-llama", 0.7, 900)
    assert config.for_role("scope").model == "gpt-4.1-mini"  # a role without settings takes the default
    assert config.concurrency == 2
    assert config.cost("gpt-4.1-mini", 1_000_000, 1_000_000) == Decimal("2.000000")


def test_price_table_from_the_environment(monkeypatch):
    monkeypatch.setenv("LLM_PRICES", '{"my-model": [1.5, 3]}')
    assert env_json("LLM_PRICES", {}) == {"my-model": [1.5, 3]}
    monkeypatch.setenv("LLM_PRICES", "")
    assert env_json("LLM_PRICES", {"x": [1, 2]}) == {"x": [1, 2]}


def test_ledger_rows_have_exact_tokens_cost_request_and_response(llm_settings, llm_server, run):
    raw = json.dumps(VERDICT)
    llm_server.queue(ok(raw, prompt_tokens=1200, completion_tokens=300))
    client = llm_client_for_run(run=run)
    first = client.complete(MESSAGES, Verdict, role="judge", item_key="sub/ds/7")
    second = client.complete(MESSAGES, Verdict, role="judge", item_key="sub/ds/7")

    assert first.value == second.value == Verdict(**VERDICT)
    assert len(llm_server.requests) == 1
    rows = list(LLMCall.objects.filter(run=run).order_by("id"))
    assert len(rows) == 2
    paid, hit = rows
    assert (paid.team_id, paid.role, paid.model, paid.item_key) == (run.team_id, "judge", "gpt-4.1", "sub/ds/7")
    assert (paid.prompt_tokens, paid.completion_tokens, paid.cached) == (1200, 300, False)
    assert paid.cost == Decimal("0.004800")  # 1200 x 2.0/1M + 300 x 8.0/1M
    assert paid.request["messages"] == MESSAGES
    assert (paid.request["model"], paid.request["temperature"], paid.request["max_tokens"]) == ("gpt-4.1", 0.0, 300)
    assert paid.request["structured_output"] == "json_schema"
    assert paid.response["raw_text"] == raw
    assert paid.response["value"] == VERDICT
    assert paid.latency_ms == first.latency_ms
    assert (hit.prompt_tokens, hit.completion_tokens, hit.cost, hit.cached) == (0, 0, Decimal("0"), True)
    assert hit.response["raw_text"] == raw


def test_a_model_without_a_price_costs_zero_and_says_so(llm_settings, llm_server, run):
    llm_server.queue(ok_json(VERDICT, prompt_tokens=400, completion_tokens=40))
    llm_client_for_run(run=run).complete(MESSAGES, Verdict, role="design")
    row = LLMCall.objects.get(run=run)
    assert (row.model, row.prompt_tokens, row.completion_tokens, row.cost) == ("local-llama", 400, 40, Decimal("0"))
    assert row.response["price"] == "no price for this model in LLM_PRICES; cost recorded as 0"


def test_the_database_cache_survives_a_new_client(llm_settings, llm_server, run):
    llm_server.queue(ok_json(VERDICT, prompt_tokens=80, completion_tokens=8))
    llm_client_for_run(run=run).complete(MESSAGES, Verdict, role="judge")
    assert LLMCacheEntry.objects.count() == 1
    entry = LLMCacheEntry.objects.get()
    assert entry.model == "gpt-4.1"
    assert entry.response["value"] == VERDICT

    fresh = LLMClient(llm_config_from_settings(), cache=DjangoLLMCache(team_id=run.team_id), ledger=DjangoLedger(run=run))
    result = fresh.complete(MESSAGES, Verdict, role="judge")
    assert (result.cached, result.attempts, result.value) == (True, 0, Verdict(**VERDICT))
    assert len(llm_server.requests) == 1
    assert list(LLMCall.objects.filter(run=run).order_by("id").values_list("cached", flat=True)) == [False, True]


def test_the_cache_is_never_shared_between_teams(llm_settings, llm_server, run, team_b):
    llm_server.queue(ok_json(VERDICT, prompt_tokens=80, completion_tokens=8))
    llm_server.queue(ok_json(VERDICT, prompt_tokens=80, completion_tokens=8))
    llm_client_for_run(run=run).complete(MESSAGES, Verdict, role="judge")
    other = LLMClient(llm_config_from_settings(), cache=DjangoLLMCache(team_id=team_b.id), ledger=DjangoLedger(run=run))
    assert other.complete(MESSAGES, Verdict, role="judge").cached is False
    assert len(llm_server.requests) == 2
    assert sorted(LLMCacheEntry.objects.values_list("team_id", flat=True)) == sorted([run.team_id, team_b.id])


def test_complete_many_records_every_call_in_the_database(llm_settings, llm_server, run):
    llm_server.latency_s = 0.05
    llm_server.default = lambda request: ok_json({"label": request.messages[0]["content"], "score": 1},
                                                 prompt_tokens=10, completion_tokens=2)
    requests = [LLMRequest(messages=[{"role": "user", "content": f"item {i}"}], schema=Verdict, role="judge",
                           item_key=f"k/{i}") for i in range(5)]
    results = llm_client_for_run(run=run).complete_many(requests)
    assert [r.value.label for r in results] == [f"item {i}" for i in range(5)]
    assert llm_server.max_active == 2
    rows = LLMCall.objects.filter(run=run)
    assert sorted(rows.values_list("item_key", flat=True)) == [f"k/{i}" for i in range(5)]
    assert sum(r.cost for r in rows) == Decimal("0.000180")  # 5 x (10 x 2.0 + 2 x 8.0)/1M
    assert LLMCacheEntry.objects.count() == 5


def test_no_llm_service_configured(settings, run):
    settings.OPENAI_BASE_URL = ""
    with pytest.raises(RuntimeError, match="OPENAI_BASE_URL"):
        llm_client_for_run(run=run)
