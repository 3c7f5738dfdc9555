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


def test_dashboards_count_each_annotator_once_and_leave_flagged_reviews_out(client, api_a, user_a, reviewed):
    from datetime import timedelta

    from annotation.models import HumanReview

    benchmark = reviewed.benchmark
    stored = {r.annotation_id: r for r in HumanReview.objects.filter(project__version=reviewed)}
    first = stored[1001]  # ann-a's accept of the first sample (intent 5, 60 s)
    # ann-a submits again on the first sample (a reject), and ann-b's review of the second sample was last
    # changed in Label Studio by someone else: 8 reviews stored, 5 counted.
    HumanReview.objects.create(team=first.team, project=first.project, task=first.task, sample=first.sample,
                               annotation_id=9001, annotator="ann-a", accepted=False, intent_alignment=1,
                               lead_time_seconds=600, reviewed_at=first.reviewed_at + timedelta(minutes=1))
    HumanReview.objects.filter(pk=stored[1004].pk).update(sender_mismatch=True)

    # Counted: (ann-a F1 600 s, ann-b T4 120 s) (ann-a T4 30 s) (ann-a F1 60 s, ann-b F2 60 s).
    row = api_a.get("/api/dashboards/portfolio/").json()["benchmarks"][0]
    assert {key: row[key] for key in ("reviews", "reviewed_samples", "acceptance_rate", "intent_mean",
                                      "human_minutes_per_sample")} == {
        "reviews": 5, "reviewed_samples": 3, "acceptance_rate": 0.4, "intent_mean": 2.4,
        "human_minutes_per_sample": 4.833}  # 870 s over 3 samples
    quality = api_a.get(f"/api/dashboards/benchmarks/{benchmark.pk}/quality/").json()
    assert (quality["reviews"], quality["flagged_reviews"], quality["human_minutes"]) == (5, 1, 14.5)
    assert quality["intent_distribution"] == {"1": 2, "2": 1, "3": 0, "4": 2, "5": 0}
    cost = api_a.get("/api/dashboards/cost/").json()
    assert sum(day["reviews"] for day in cost["by_day"]) == 5 and cost["totals"]["reviews"] == 5
    client.force_login(user_a)
    page = client.get(reverse("dashboard-quality", args=[benchmark.pk])).content.decode()
    assert "1 review changed by someone other than its author, or deleted, in Label Studio: not counted" in page


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
