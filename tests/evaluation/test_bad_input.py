"""Bad numbers on the evaluation API and pages: a 400 naming the parameter (or the form's own message),
never a 500; prices are never negative."""
from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from common.numbers import INT64_MAX
from evaluation.models import ModelEndpoint

HUGE = 2 ** 70
TOO_LARGE = f"Ensure this value is less than or equal to {INT64_MAX}."


@pytest.mark.parametrize("value, body", [
    ("²", {"version": ["version must be a whole number."]}),
    (str(HUGE), {"version": [f"version must be between 1 and {INT64_MAX}."]}),
])
def test_the_leaderboard_refuses_a_version_that_is_not_a_whole_number(api_a, built_text_benchmark, value, body):
    pk = built_text_benchmark.version.benchmark_id

    response = api_a.get(f"/api/evaluation/benchmarks/{pk}/leaderboard/", {"version": value})

    assert (response.status_code, response.json()) == (400, body)


@pytest.mark.parametrize("url, payload", [
    ("/api/evaluation/judge/", {"benchmark": HUGE}),
    ("/api/evaluation/baseline/", {"benchmark": HUGE}),
    ("/api/evaluation/runs/", {"benchmark": HUGE, "endpoint": 1}),
])
def test_start_requests_refuse_ids_past_64_bits(api_a, url, payload):
    response = api_a.post(url, payload, format="json")

    assert (response.status_code, response.json()) == (400, {"benchmark": [TOO_LARGE]})


@pytest.mark.parametrize("name", ["benchmark", "version", "sample"])
def test_judge_score_filters_are_bounded(api_a, name):
    response = api_a.get("/api/evaluation/judge-scores/", {name: str(HUGE)})

    assert (response.status_code, response.json()) == (400, {name: [TOO_LARGE]})


def test_a_negative_price_is_refused(api_a, team_a):
    response = api_a.post("/api/evaluation/models/", {
        "team_slug": "team-a", "name": "cheap", "base_url": "http://x.test/v1", "model": "m",
        "price_input": "-1", "price_output": -0.5}, format="json")

    assert (response.status_code, response.json()) == (400, {
        "price_input": ["Ensure this value is greater than or equal to 0."],
        "price_output": ["Ensure this value is greater than or equal to 0."]})
    assert ModelEndpoint.objects.count() == 0


@pytest.mark.parametrize("value", ["²", "abc", str(HUGE)])
def test_the_evaluate_form_names_a_model_that_is_not_a_whole_number(user_a, built_text_benchmark, value):
    client = Client(raise_request_exception=False)
    client.force_login(user_a)
    pk = built_text_benchmark.version.benchmark_id

    response = client.post(reverse("eval-start", args=[pk]), {"endpoint": value})

    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Choose a registered model."]
