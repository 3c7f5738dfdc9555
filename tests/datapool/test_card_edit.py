"""A card edit (page or API) that sends some fields changes those and keeps the rest: the role map
is merged (a role's keys into its spec, a role set to null removed), never replaced whole."""
from __future__ import annotations

import json

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from datapool.models import Dataset
from teams.models import Membership
from tests.conftest import import_seed_datasets
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def causal(team_a) -> Dataset:
    import_seed_datasets(team_a, ["Causal-Reasoning"])
    return Dataset.objects.select_related("card").get(team=team_a, slug="causal-reasoning")


def card_state(dataset: Dataset) -> dict:
    dataset = Dataset.objects.select_related("card").get(pk=dataset.pk)
    card = dataset.card
    return {"description": card.description, "card_text": card.card_text, "domain": card.domain, "tasks": card.tasks,
            "fields": card.fields, "license": dataset.license, "modalities": dataset.modalities}


def test_a_page_edit_naming_one_role_keeps_the_other_roles_and_fields(client, user_a, causal):
    before = card_state(causal)
    assert sorted(before["fields"]) == ["answer", "options", "question"]
    client.force_login(user_a)
    response = client.post(reverse("pool-card-edit", args=[causal.id]), {
        "fields": json.dumps({"question": {"paths": ["input.question", "input.context"]}})})
    assert response.status_code == 302
    after = card_state(causal)
    expected_fields = {**before["fields"], "question": {**before["fields"]["question"],
                                                        "paths": ["input.question", "input.context"]}}
    assert after == {**before, "fields": expected_fields}


def test_a_role_set_to_null_is_removed_and_a_new_role_needs_paths(client, user_a, causal):
    before = card_state(causal)
    client.force_login(user_a)
    url = reverse("pool-card-edit", args=[causal.id])
    refused = client.post(url, {"fields": json.dumps({"context": {"modality": "text"}})})
    assert refused.status_code == 200
    assert "Role &#x27;context&#x27; needs a non-empty list of JSON paths in &quot;paths&quot;." in \
        refused.content.decode()
    assert card_state(causal) == before
    client.post(url, {"fields": json.dumps({"options": None, "image": {"paths": ["input.image_file"],
                                                                       "modality": "image"}})})
    after = card_state(causal)
    assert sorted(after["fields"]) == ["answer", "image", "question"]
    assert (after["fields"]["image"], after["modalities"]) == (
        {"paths": ["input.image_file"], "modality": "image"}, ["image", "text"])


def test_the_full_form_still_edits_every_field(client, user_a, causal):
    client.force_login(user_a)
    client.post(reverse("pool-card-edit", args=[causal.id]), {
        "description": "Cause and effect, two options.", "card_text": "", "domain": "everyday",
        "tasks": "multiple_choice_qa, causal", "license": "MIT", "fields": json.dumps(causal.card.fields)})
    after = card_state(causal)
    assert (after["description"], after["card_text"], after["tasks"], after["license"], after["fields"]) == (
        "Cause and effect, two options.", "", ["multiple_choice_qa", "causal"], "MIT", causal.card.fields)


def test_the_api_merges_a_partial_card_edit(api_a, causal):
    before = card_state(causal)
    response = api_a.patch(reverse("api-pool-dataset-card", args=[causal.id]), {
        "fields": {"answer": {"semantics": "The letter of the right cause.", "path_types": None}},
        "tasks": ["causal"]}, format="json")
    assert response.status_code == 200, response.json()
    answer = {key: value for key, value in before["fields"]["answer"].items() if key != "path_types"}
    expected = {**before, "tasks": ["causal"],
                "fields": {**before["fields"], "answer": {**answer, "semantics": "The letter of the right cause."}}}
    assert card_state(causal) == expected
    assert (response.json()["card"]["fields"], response.json()["card"]["tasks"], response.json()["card"]["written_by"]) \
        == (expected["fields"], ["causal"], "team")


def test_the_card_api_is_for_the_teams_owners_and_editors(api_a, api_b, team_a, causal):
    url = reverse("api-pool-dataset-card", args=[causal.id])
    before = card_state(causal)
    assert api_b.patch(url, {"description": "x"}, format="json").status_code == 404
    viewer = UserFactory(username="vera")
    MembershipFactory(team=team_a, user=viewer, role=Membership.Role.VIEWER)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=viewer).key}")
    response = client.patch(url, {"description": "x"}, format="json")
    assert (response.status_code, response.json()) == (
        400, {"non_field_errors": ["Only an owner or editor of the dataset's team may edit its card."]})
    response = api_a.patch(url, {"fields": {"colour": {"paths": ["x"]}}}, format="json")
    assert (response.status_code, response.json()) == (400, {"fields": [
        "Unknown role 'colour'; use any of ['answer', 'audio', 'bbox', 'context', 'dialog', 'image', 'label', "
        "'options', 'other_aux', 'question']."]})
    assert card_state(causal) == before
