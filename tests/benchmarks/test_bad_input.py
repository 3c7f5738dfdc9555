"""Numbers that are not numbers, numbers past the database's range and hostile JSON, on the
benchmarks API and pages: a 400 that names the parameter, never a 500."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from benchmarks.models import BenchmarkRequest
from common.numbers import INT64_MAX
from tests.benchmarks.test_spec_review import CAUSAL, NLI, SOCIAL, _planned

HUGE = 2 ** 70  # 1180591620717411303424: past any 64-bit column
TOO_LARGE = f"Ensure this value is less than or equal to {INT64_MAX}."
VERSION_NOT_A_NUMBER = {"version": ["version must be a whole number."]}
VERSION_OUT_OF_RANGE = {"version": [f"version must be between 1 and {INT64_MAX}."]}


def test_a_budget_past_64_bits_is_a_400_naming_it(api_a, team_a):
    response = api_a.post("/api/requests/", {"team": "team-a", "text": "Anything at all?", "target_size": 10,
                                             "budget_tokens": HUGE}, format="json")

    assert (response.status_code, response.json()) == (400, {"budget_tokens": [TOO_LARGE]})
    assert BenchmarkRequest.objects.count() == 0


@pytest.mark.parametrize("url", ["/api/samples/", "/api/runs/", "/api/specs/"])
@pytest.mark.parametrize("value, message", [(str(HUGE), TOO_LARGE), ("1.5", "Enter a whole number."),
                                            ("²", "Enter a whole number."), ("NaN", "Enter a whole number.")])
def test_list_filters_refuse_what_is_not_a_64_bit_whole_number(api_a, url, value, message):
    response = api_a.get(url, {"benchmark": value})

    assert (response.status_code, response.json()) == (400, {"benchmark": [message]})


def test_the_sample_version_filter_is_bounded_too(api_a):
    response = api_a.get("/api/samples/", {"benchmark": "1", "version": str(-HUGE)})

    assert (response.status_code, response.json()) == (
        400, {"version": [f"Ensure this value is greater than or equal to {-INT64_MAX - 1}."]})


@pytest.mark.parametrize("value, body", [("²", VERSION_NOT_A_NUMBER), (str(HUGE), VERSION_OUT_OF_RANGE),
                                         ("0", VERSION_OUT_OF_RANGE)])
def test_export_and_freeze_refuse_a_version_that_is_not_a_whole_number(api_a, built_text_benchmark, value, body):
    pk = built_text_benchmark.version.benchmark_id

    export = api_a.get(f"/api/benchmarks/{pk}/export/", {"version": value})
    freeze = api_a.post(f"/api/benchmarks/{pk}/freeze/?version={value}")

    assert (export.status_code, export.json()) == (400, body)
    assert (freeze.status_code, freeze.json()) == (400, body)


def test_an_id_past_64_bits_in_the_path_is_a_404(api_a):
    assert api_a.get(f"/api/benchmarks/{HUGE}/").status_code == 404


# --- Pages ----------------------------------------------------------------------------------------

@pytest.fixture
def client_a(user_a):
    client = Client(raise_request_exception=False)
    client.force_login(user_a)
    return client


@pytest.mark.parametrize("value, message", [("²", "version must be a whole number."),
                                            (str(HUGE), f"version must be between 1 and {INT64_MAX}.")])
def test_pages_answer_a_bad_version_with_the_400_page_naming_it(client_a, built_text_benchmark, value, message):
    pk = built_text_benchmark.version.benchmark_id
    for url in (reverse("benchmark-detail", args=[pk]), reverse("spec-detail", args=[pk]),
                reverse("dashboard-quality", args=[pk])):
        response = client_a.get(url, {"version": value})
        assert response.status_code == 400, url
        assert f'<p class="error-text">{message}</p>' in response.content.decode(), url


def test_a_page_id_past_64_bits_is_a_404(client_a, db):
    assert client_a.get(f"/benchmarks/{HUGE}/").status_code == 404


@pytest.mark.parametrize("value", ["²", str(HUGE)])
def test_the_spec_form_names_a_quota_that_is_not_a_whole_number(client, team_a, user_a, pool_a, value):
    started = _planned(team_a, user_a)
    client.force_login(user_a)

    response = client.post(reverse("spec-detail", args=[started.version.benchmark_id]),
                           {"action": "save", f"quota-{NLI}": value, f"quota-{SOCIAL}": "8", f"quota-{CAUSAL}": "11"})

    assert response.status_code == 400
    assert f"{NLI}: the quota must be a whole number; got &#x27;{value}&#x27;." in response.content.decode()
