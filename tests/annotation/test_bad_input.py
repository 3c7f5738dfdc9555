"""Bad numbers on the review API and pages: a 400 with the form's or the filter's message, never a 500.
None of these reach Label Studio."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from common.numbers import INT64_MAX

HUGE = 2 ** 70


@pytest.mark.parametrize("name", ["benchmark", "version", "sample"])
def test_review_filters_are_bounded(api_a, name):
    response = api_a.get("/api/review/reviews/", {name: str(HUGE)})

    assert (response.status_code, response.json()) == (400, {name: [f"Ensure this value is less than or equal to "
                                                                    f"{INT64_MAX}."]})


def test_opening_a_review_with_an_overlap_past_64_bits_is_a_400(api_a, built_text_benchmark):
    response = api_a.post("/api/review/projects/", {"benchmark": built_text_benchmark.version.benchmark_id,
                                                    "overlap": HUGE}, format="json")

    assert (response.status_code, response.json()) == (
        400, {"overlap": [f"Ensure this value is less than or equal to {INT64_MAX}."]})


@pytest.fixture
def review_page(user_a, built_text_benchmark):
    client = Client(raise_request_exception=False)
    client.force_login(user_a)
    return client, reverse("benchmark-review", args=[built_text_benchmark.version.benchmark_id])


@pytest.mark.parametrize("overlap", ["²", str(HUGE), "two"])
def test_the_review_form_names_an_overlap_that_is_not_a_whole_number(review_page, overlap):
    client, url = review_page

    response = client.post(url, {"action": "open", "overlap": overlap})

    assert response.status_code == 400
    assert "Annotators per sample must be a whole number from 1 to 10." in response.content.decode()


@pytest.mark.parametrize("user", ["²", "abc", str(HUGE)])
def test_the_assign_form_names_an_annotator_that_is_not_a_whole_number(review_page, user):
    client, url = review_page

    response = client.post(url, {"action": "assign", "user": user})

    assert response.status_code == 400
    assert "Choose an annotator." in response.content.decode()
