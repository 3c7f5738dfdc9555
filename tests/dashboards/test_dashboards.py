"""The dashboards: what a page renders is what the API says; nothing of another team; a fixed number
of queries whatever the portfolio's size."""
from __future__ import annotations

import json
import re
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks.models import Sample, ToolCall


def _page_data(response) -> dict:
    match = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>',
                      response.content.decode(), re.S)
    return json.loads(match.group(1))


def _charts(response) -> dict:
    match = re.search(r'<script id="dashboard-charts" type="application/json">(.*?)</script>',
                      response.content.decode(), re.S)
    return json.loads(match.group(1))


def test_pages_and_api_agree(client, api_a, user_a, reviewed):
    client.force_login(user_a)
    benchmark = reviewed.benchmark
    pairs = [(reverse("dashboard-portfolio"), "/api/dashboards/portfolio/"),
             (reverse("dashboard-quality", args=[benchmark.pk]), f"/api/dashboards/benchmarks/{benchmark.pk}/quality/"),
             (reverse("dashboard-cost"), "/api/dashboards/cost/")]
    for page_url, api_url in pairs:
        page, api = client.get(page_url), api_a.get(api_url)
        assert page.status_code == 200 and api.status_code == 200
        assert _page_data(page) == api.json(), page_url

    portfolio = api_a.get("/api/dashboards/portfolio/").json()
    size = Sample.objects.filter(version=reviewed, status__in=["ok", "repaired"]).count()
    assert portfolio["benchmarks"] == [{
        "benchmark_id": benchmark.pk, "name": benchmark.name, "team": "team-a", "version": 1, "size": size,
        "target_size": 12, "reviews": 6, "reviewed_samples": 3, "acceptance_rate": 0.5, "intent_mean": 3.0,
        "tokens": 3600, "money_usd": 0.0242, "money_per_sample_usd": round(0.0242 / size, 6),
        "agent_minutes_per_sample": portfolio["benchmarks"][0]["agent_minutes_per_sample"],
        "human_minutes_per_sample": 2.333}]
    tool_ms = sum(ToolCall.objects.filter(run__version=reviewed).values_list("latency_ms", flat=True))
    assert portfolio["benchmarks"][0]["agent_minutes_per_sample"] == round((4500 + tool_ms) / 60000 / size, 4)
    cost = api_a.get("/api/dashboards/cost/").json()
    assert [(r["role"], r["model"], r["calls"], r["money_usd"]) for r in cost["by_role_model"]] == [
        ("design", "gpt-4o-mini", 1, 0.0012), ("verify", "gpt-4o", 1, 0.02), ("verify", "gpt-4o-mini", 1, 0.003)]
    assert sum(day["reviews"] for day in cost["by_day"]) == 6
    assert sum(day["human_minutes"] for day in cost["by_day"]) == 7.0

    # The charts draw those numbers.
    quality = client.get(reverse("dashboard-quality", args=[benchmark.pk]))
    charts = _charts(quality)
    assert charts["subtasks"]["data"][0]["y"] == [50.0]
    assert charts["intent"]["data"][0]["y"] == [1, 2, 0, 2, 1]
    assert charts["agreement"]["data"][0]["y"] == [0.4]
    assert set(charts) == {"subtasks", "datasets", "intent", "reasons", "agreement", "minutes", "judge"}
    money = _charts(client.get(reverse("dashboard-cost")))["money"]["data"]
    assert {(t["name"], tuple(t["x"]), tuple(t["y"])) for t in money} == {
        ("gpt-4o", ("design", "verify"), (0, 0.02)), ("gpt-4o-mini", ("design", "verify"), (0.0012, 0.003))}


def test_nothing_of_another_team(client, api_b, user_b, reviewed):
    benchmark = reviewed.benchmark
    assert api_b.get(f"/api/dashboards/benchmarks/{benchmark.pk}/quality/").status_code == 404
    assert api_b.get("/api/dashboards/portfolio/").json()["benchmarks"] == []
    cost = api_b.get("/api/dashboards/cost/").json()
    assert cost["by_role_model"] == [] and cost["by_day"] == [] and cost["totals"]["money_usd"] == 0
    client.force_login(user_b)
    assert client.get(reverse("dashboard-quality", args=[benchmark.pk])).status_code == 404
    assert benchmark.name not in client.get(reverse("dashboard-portfolio")).content.decode()
    assert client.get(reverse("dashboard-portfolio")).status_code == 200


def test_anonymous_users_see_no_dashboard(client, reviewed):
    for url in (reverse("dashboard-portfolio"), reverse("dashboard-cost"),
                reverse("dashboard-quality", args=[reviewed.benchmark.pk])):
        assert client.get(url).status_code == 302
    assert client.get("/api/dashboards/portfolio/").status_code in (401, 403)
    assert client.get(reverse("plotly-js")).status_code == 200  # the library itself is public


def test_query_counts_do_not_grow_with_the_portfolio(api_a, reviewed, user_a):
    from benchmarks import services

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api_a.get(url).status_code == 200
        return len(queries)

    before = {url: count(url) for url in ("/api/dashboards/portfolio/", "/api/dashboards/cost/")}
    for i in range(3):
        started = services.build_start(auto_approve=True, team=reviewed.benchmark.team, user=user_a, target_size=4,
                                       run_in_background=False, text=f"Everyday cause and effect, set {i}")
        services.build_run_foreground(run_id=started.run.id)
    assert {url: count(url) for url in before} == before
