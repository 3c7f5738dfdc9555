"""Hybrid dataset search on the real seed pool: the hits a person expects, score parts that add up
to the documented weighted sum, the hard modality filter, team scoping, card embeddings computed
once per card text; the search API, the datasets API and the pool pages."""
from __future__ import annotations

import hashlib
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from agents.tools.embedding import MODEL_NAME, MiniLMEmbedder
from datapool.importers.general_bench import dataset_import_general_bench
from datapool.models import Dataset, DatasetCard
from datapool.search import (
    card_embedding_refresh,
    card_embedding_text,
    card_view,
    dataset_search,
)
from tests.conftest import import_seed_datasets, seed_cards

ART = "art-image-visual-question-answering"
CAUSAL = "causal-reasoning"
NLI = "natural-language-inference"
IMAGE_SLUGS = {ART, "bird-detection", "car-brands-recognition", "chemistry-vqa", "fall-human-detection",
               "lung-nodule-diagnosis-vqa", "mathematical-word-problem-vqa"}
TEXT_SLUGS = {CAUSAL, NLI, "dialogue-relation-extraction", "document-level-causal-reasoning", "ethical-reasoning",
              "event-coreference-resolution", "multi-turn-daily-dialogue-generation",
              "social-science-question-answering", "temporal-event-reasoning", "temporal-reasoning"}
CAUSE_QUERY = "which option is the cause of the event"


@pytest.fixture
def seed_pool_a(team_a):
    """Team A's pool: all 17 datasets of the seed pool."""
    return import_seed_datasets(team_a, list(seed_cards()))


@pytest.fixture
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def search(team, query, **kwargs):
    return dataset_search(team_ids=[team.id], query=query, **kwargs)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- Ranking -------------------------------------------------------------------------------------

@pytest.mark.parametrize("query, modalities, top, matched", [
    ("artwork painting period", ["image"], ART, ["artwork"]),
    ("premise hypothesis entailment", ["text"], NLI, ["entailment", "hypothesi", "premise"]),
    (CAUSE_QUERY, None, CAUSAL, ["cause", "event", "option"]),
    ("lung nodule malignant CT", ["image"], "lung-nodule-diagnosis-vqa", ["ct", "lung", "malignant", "nodule"]),
    ("find the bird in the picture", ["image"], "bird-detection", ["bird"]),
    ("what time does the clock show", ["image"], "mathematical-word-problem-vqa", ["clock", "time"]),
    ("relations between people in a dialogue", None, "dialogue-relation-extraction", ["dialogue", "relation"]),
    ("moral judgement of everyday behaviour", None, "ethical-reasoning", ["everyday", "moral"]),
])
def test_the_expected_dataset_comes_first(seed_pool_a, team_a, query, modalities, top, matched):
    hits = search(team_a, query, modalities=modalities)

    assert hits[0].slug == top
    assert hits[0].matched_terms == matched
    assert hits[0].lexical == max(h.lexical for h in hits)


def test_semantic_search_finds_a_dataset_that_shares_no_word_with_the_query(seed_pool_a, team_a):
    hits = search(team_a, "a painting in a museum", limit=17)

    assert hits[0].slug == ART
    assert [h.lexical for h in hits] == [0.0] * 17
    assert hits[0].semantic == max(h.semantic for h in hits)
    assert hits[0].semantic == pytest.approx(0.327, abs=0.01)


def test_score_parts_add_up_to_the_documented_weighted_sum(seed_pool_a, team_a):
    hits = search(team_a, CAUSE_QUERY, roles=["question", "options"], limit=17)

    assert len(hits) == 17
    for hit in hits:
        assert hit.total == pytest.approx(
            0.4 * hit.lexical + 0.4 * hit.semantic + 0.1 * hit.qa_bonus + 0.1 * hit.role_bonus, abs=1e-12)
        assert 0.0 <= hit.lexical <= 1.0 and 0.0 <= hit.semantic <= 1.0
    assert [h.total for h in hits] == sorted((h.total for h in hits), reverse=True)
    by_slug = {h.slug: h for h in hits}
    assert max(h.lexical for h in hits) == 1.0 == by_slug[CAUSAL].lexical
    # qa_bonus from the card's roles: question+answer, context+answer, context only, neither.
    assert [by_slug[s].qa_bonus for s in (CAUSAL, "temporal-reasoning", "fall-human-detection",
                                           "multi-turn-daily-dialogue-generation")] == [1.0, 0.7, 0.4, 0.1]
    # role_bonus: both roles asked for, one of them, none.
    assert [(by_slug[s].role_bonus, by_slug[s].roles_present) for s in (CAUSAL, NLI, "temporal-reasoning")] == [
        (1.0, ["options", "question"]), (0.5, ["question"]), (0.0, [])]
    assert {h.role_bonus for h in search(team_a, CAUSE_QUERY, limit=17)} == {0.0}


def test_the_modality_filter_is_hard(seed_pool_a, team_a):
    image_hits = search(team_a, "which option is the cause of the event in the text", modalities=["image"], limit=50)
    text_hits = search(team_a, "lung nodule malignant CT", modalities=["text"], limit=50)

    assert {h.slug for h in image_hits} == IMAGE_SLUGS
    assert {h.slug for h in text_hits} == TEXT_SLUGS
    assert {tuple(h.modalities) for h in image_hits} == {("image", "text")}
    assert search(team_a, "lung nodule", modalities=["audio"]) == []
    assert len(search(team_a, "lung nodule", limit=50)) == 17


def test_limit_keeps_the_best_hits(seed_pool_a, team_a):
    everything = search(team_a, CAUSE_QUERY, limit=17)

    assert [h.slug for h in search(team_a, CAUSE_QUERY, limit=3)] == [h.slug for h in everything[:3]]


def test_a_team_finds_its_own_and_shared_datasets_only(team_a, team_b):
    import_seed_datasets(team_a, ("Causal-Reasoning", "Art Image Visual Question Answering"))
    import_seed_datasets(team_b, ("Natural-Language-Inference",))
    Dataset.objects.filter(team=team_a, slug=ART).update(is_shared=True)

    seen_by_b = search(team_b, CAUSE_QUERY)
    seen_by_a = search(team_a, CAUSE_QUERY)

    assert sorted((h.slug, h.team, h.is_shared) for h in seen_by_b) == [
        (ART, "team-a", True), (NLI, "team-b", False)]
    assert sorted(h.slug for h in seen_by_a) == [ART, CAUSAL]


@pytest.mark.parametrize("kwargs, errors", [
    ({"query": ""}, {"q": ["Type what you are looking for; the query is empty."]}),
    ({"query": "  "}, {"q": ["Type what you are looking for; the query is empty."]}),
    ({"query": "cause", "modalities": ["smell"]},
     {"modality": ["Unknown modality 'smell'; use any of ['text', 'image', 'audio']."]}),
    ({"query": "cause", "limit": 0}, {"limit": ["limit must be a whole number between 1 and 50; got 0."]}),
])
def test_search_refuses_bad_input_with_a_clear_message(team_a, kwargs, errors):
    with pytest.raises(ValidationError) as raised:
        dataset_search(team_ids=[team_a.id], **kwargs)
    assert raised.value.message_dict == errors


# --- Stored card embeddings ----------------------------------------------------------------------

def test_card_embeddings_are_computed_once_per_card_text(seed_pool_a, team_a, embedder):
    search(team_a, CAUSE_QUERY, embedder=embedder)

    assert (embedder.calls, embedder.texts_embedded) == (2, 18)  # the 17 cards in one batch, then the query
    cards = list(DatasetCard.objects.select_related("dataset").order_by("id"))
    stored = {c.id: (c.embedding_text_sha, c.embedding) for c in cards}
    assert [c.embedding_model for c in cards] == [MODEL_NAME] * 17
    assert [c.embedding_text_sha for c in cards] == [sha256(card_embedding_text(card_view(card=c))) for c in cards]
    assert {len(c.embedding) for c in cards} == {384}

    search(team_a, "lung nodule malignant CT", modalities=["image"], embedder=embedder)
    search(team_a, "premise hypothesis entailment", embedder=embedder)

    assert (embedder.calls, embedder.texts_embedded) == (4, 20)  # the two queries only
    assert {c.id: (c.embedding_text_sha, c.embedding) for c in DatasetCard.objects.all()} == stored

    # A changed card is embedded again, and only that one.
    causal = DatasetCard.objects.get(dataset__slug=CAUSAL)
    causal.description = "Pick the more plausible cause of an everyday effect from two options."
    causal.save(update_fields=["description", "updated_at"])
    hits = search(team_a, CAUSE_QUERY, embedder=embedder)

    assert (embedder.calls, embedder.texts_embedded) == (6, 22)
    causal.refresh_from_db()
    assert causal.embedding_text_sha == sha256(card_embedding_text(card_view(card=causal))) != stored[causal.id][0]
    assert hits[0].slug == CAUSAL


def test_card_embedding_refresh_skips_a_current_card(team_a, embedder):
    import_seed_datasets(team_a, ("Causal-Reasoning",))
    card = DatasetCard.objects.select_related("dataset").get()

    assert card_embedding_refresh(card=card, embedder=embedder) is True
    assert card_embedding_refresh(card=card, embedder=embedder) is False
    assert (embedder.calls, embedder.texts_embedded) == (1, 1)
    assert (card.embedding_model, len(card.embedding)) == (MODEL_NAME, 384)

    DatasetCard.objects.filter(pk=card.pk).update(embedding_model="another-model")
    card.refresh_from_db()
    assert card_embedding_refresh(card=card, embedder=embedder) is True
    assert card.embedding_model == MODEL_NAME


def test_pool_embed_command_embeds_only_what_is_stale(seed_pool_a, capsys):
    call_command("pool_embed")
    first = capsys.readouterr().out
    call_command("pool_embed", team="team-a")
    second = capsys.readouterr().out

    assert "17 cards embedded, 0 already current" in first
    assert "0 cards embedded, 17 already current" in second
    assert DatasetCard.objects.filter(embedding_model=MODEL_NAME).count() == 17


# --- API -----------------------------------------------------------------------------------------

def test_search_api_returns_hits_with_every_score_part(api_a, seed_pool_a):
    response = api_a.get("/api/pool/search/", {"q": "artwork painting period", "modality": "image",
                                               "role": ["question", "answer"], "limit": 3})

    assert response.status_code == 200, response.content
    body = response.json()
    art = Dataset.objects.get(slug=ART)
    assert (body["query"], body["modalities"], body["roles"], body["count"]) == (
        "artwork painting period", ["image"], ["question", "answer"], 3)
    assert body["weights"] == {"lexical": 0.4, "semantic": 0.4, "qa_bonus": 0.1, "role_bonus": 0.1}
    first = body["results"][0]
    assert {k: v for k, v in first.items() if k != "scores"} == {
        "dataset": art.id, "slug": ART, "name": "Art Image Visual Question Answering", "team": "team-a",
        "is_shared": False, "modalities": ["image", "text"], "matched_terms": ["artwork"],
        "roles_present": ["answer", "question"], "url": f"/api/pool/datasets/{art.id}/"}
    scores = first["scores"]
    assert set(scores) == {"lexical", "semantic", "qa_bonus", "role_bonus", "total"}
    assert (scores["qa_bonus"], scores["role_bonus"]) == (1.0, 1.0)
    assert scores["total"] == pytest.approx(0.4 * scores["lexical"] + 0.4 * scores["semantic"] + 0.1 + 0.1, abs=1e-9)
    assert [r["slug"] for r in body["results"]][0] == ART
    assert {tuple(r["modalities"]) for r in body["results"]} == {("image", "text")}


@pytest.mark.parametrize("params, errors", [
    ({"q": ""}, {"q": ["Type what you are looking for; the query is empty."]}),
    ({}, {"q": ["Type what you are looking for; the query is empty."]}),
    ({"q": "cause", "modality": "smell"},
     {"modality": ["Unknown modality 'smell'; use any of ['text', 'image', 'audio']."]}),
    ({"q": "cause", "limit": "many"}, {"limit": ["A valid integer is required."]}),
    ({"q": "cause", "limit": "51"}, {"limit": ["Ensure this value is less than or equal to 50."]}),
])
def test_search_api_answers_400_with_a_clear_message(api_a, team_a, params, errors):
    response = api_a.get("/api/pool/search/", params)

    assert response.status_code == 400
    assert response.json() == errors


def test_pool_api_needs_authentication(client, db):
    assert client.get("/api/pool/search/", {"q": "cause"}).status_code == 401
    assert client.get("/api/pool/datasets/").status_code == 401


def test_datasets_api_lists_own_and_shared_datasets_with_their_cards(api_b, team_a, team_b):
    import_seed_datasets(team_a, ("Causal-Reasoning", "Art Image Visual Question Answering"))
    import_seed_datasets(team_b, ("Natural-Language-Inference",))
    Dataset.objects.filter(team=team_a, slug=ART).update(is_shared=True)
    causal, art = Dataset.objects.get(slug=CAUSAL), Dataset.objects.get(slug=ART)

    body = api_b.get("/api/pool/datasets/").json()

    assert body["count"] == 2
    assert [(d["slug"], d["team"], d["is_shared"], d["record_count"]) for d in body["results"]] == [
        (ART, "team-a", True, 200), (NLI, "team-b", False, 196)]
    detail = api_b.get(f"/api/pool/datasets/{art.id}/").json()
    assert detail["card"]["description"] == art.card.description
    assert set(detail["card"]["fields"]) == {"context", "question", "answer", "image"}
    assert detail["card"]["tasks"] == ["visual_question_answering", "open_ended_qa", "question_answering"]
    assert "embedding" not in detail["card"]
    assert api_b.get(f"/api/pool/datasets/{causal.id}/").status_code == 404


def test_datasets_api_is_paginated(api_a, seed_pool_a):
    first = api_a.get("/api/pool/datasets/").json()
    assert (first["count"], len(first["results"]), first["next"]) == (17, 17, None)
    assert [d["name"] for d in first["results"]] == sorted(seed_cards())


# --- Pages ---------------------------------------------------------------------------------------

@pytest.fixture
def client_a(client, user_a):
    client.force_login(user_a)
    return client


@pytest.fixture
def client_b(client, user_b):
    client.force_login(user_b)
    return client


def test_pool_pages_need_a_login(client, team_a):
    import_seed_datasets(team_a, ("Causal-Reasoning",))
    dataset = Dataset.objects.get()
    for url in (reverse("pool"), reverse("pool-dataset-detail", args=[dataset.id])):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, f"{reverse('login')}?next={url}")


def test_pool_page_lists_the_datasets_and_explains_the_hits(client_a, seed_pool_a):
    listing = client_a.get(reverse("pool"))
    assert listing.status_code == 200
    assert [d.slug for d in listing.context["datasets"]] == [
        d.slug for d in Dataset.objects.order_by("name", "id")]
    assert listing.content.decode().count('class="dataset-row"') == 17
    assert 'class="hit-row"' not in listing.content.decode()

    response = client_a.get(reverse("pool"), {"q": "lung nodule malignant CT", "modality": "image",
                                              "role": ["question"]})
    page = response.content.decode()
    hits = response.context["hits"]
    assert [h.slug for h in hits][0] == "lung-nodule-diagnosis-vqa"
    assert page.count('class="hit-row"') == 7
    assert f'href="{reverse("pool-dataset-detail", args=[hits[0].dataset_id])}"' in page
    assert f"<strong>{hits[0].total:.3f}</strong>" in page
    assert f'<td class="num">{hits[0].semantic:.3f}</td>' in page
    assert "0.4 × lexical + 0.4 × semantic" in page


def test_pool_page_says_what_is_wrong_with_a_search(client_a, team_a):
    page = client_a.get(reverse("pool"), {"q": "", "modality": "smell"}).content.decode()

    assert "Type what you are looking for; the query is empty." in page
    assert "Unknown modality &#x27;smell&#x27;; use any of" in page


def test_dataset_page_shows_card_roles_report_and_first_records(client_a, team_a, tmp_path):
    source = tmp_path / "tiny" / "annotation.json"
    source.parent.mkdir()
    records = [{"id": f"r{i}", "input": {"question": f"Question {i}?"}, "output": {"answer": f"A{i}"}}
               for i in range(7)]
    records.insert(2, {"input": {"question": "No id here?"}, "output": {"answer": "none"}})
    source.write_text(json.dumps({"task": "qa", "data": records}), encoding="utf-8")
    card = {"name": "Tiny QA", "license": "CC-BY-4.0", "modalities": ["text"],
            "description": "Seven tiny questions with their answers.",
            "meta": {"fields": {"question": {"paths": ["input.question"], "semantics": "The question asked."},
                                "answer": {"paths": ["output.answer"], "semantics": "Its short answer."}}}}
    report = dataset_import_general_bench(team=team_a, json_path=source, card=card)
    assert report.error == ""
    dataset = Dataset.objects.get(slug="tiny-qa")

    response = client_a.get(reverse("pool-dataset-detail", args=[dataset.id]))
    page = response.content.decode()

    assert response.status_code == 200
    assert "Seven tiny questions with their answers." in page
    assert '<dd class="record-count">7</dd>' in page
    assert '<dd class="license">CC-BY-4.0</dd>' in page
    assert page.count('class="role-row"') == 2
    assert "input.question" in page and "The question asked." in page
    assert page.count('class="bad-row"') == 1
    assert '<td class="num">2</td><td class="mono">—</td><td>record has no id</td>' in page
    assert page.count('class="block record"') == 5
    assert [r.source_id for r, _ in response.context["records"]] == ["r0", "r1", "r2", "r3", "r4"]
    assert json.dumps(records[0], indent=2) in page.replace("&quot;", '"')


def test_another_teams_private_dataset_is_a_404_on_pages(client_b, team_a, team_b):
    import_seed_datasets(team_a, ("Causal-Reasoning", "Art Image Visual Question Answering"))
    Dataset.objects.filter(slug=ART).update(is_shared=True)
    causal, art = Dataset.objects.get(slug=CAUSAL), Dataset.objects.get(slug=ART)

    assert client_b.get(reverse("pool-dataset-detail", args=[causal.id])).status_code == 404
    assert client_b.get(reverse("pool-dataset-detail", args=[art.id])).status_code == 200
    listing = client_b.get(reverse("pool"), {"q": CAUSE_QUERY})
    assert [d.slug for d in listing.context["datasets"]] == [ART]
    assert [h.slug for h in listing.context["hits"]] == [ART]


def test_a_one_word_brush_with_the_query_does_not_outrank_a_real_semantic_match(seed_pool_a, team_a):
    hits = search(team_a, "someone fell down", modalities=["image"], limit=7)
    assert hits[0].slug == "fall-human-detection"
    art = next(h for h in hits if h.slug == ART)
    assert art.lexical < 0.5


def test_relevance_is_absolute_and_the_same_as_the_planners_memory_search(team_a, seed_pool_a):
    """Each hit's relevance (0.3 coverage + 0.7 semantic, what grounding's floor reads) is the one
    agents.planner.search computes from the same cards, so bench/grounding_quality.py measures the
    floor the Django pool applies; unlike `lexical`, it does not move with the best candidate."""
    from agents.planner.search import lexical_search
    from agents.tools.embedding import default_embedder
    from datapool.cards import dataset_card_view

    query = "Pick the most plausible cause of an everyday event from two alternatives."
    hits = dataset_search(team_ids=[team_a.id], query=query, modalities=["text"], limit=50)
    views = [dataset_card_view(d) for d in Dataset.objects.filter(team=team_a).select_related("card")]
    memory = {h.card.slug: h for h in lexical_search(views, query, modalities=["text"], roles=[], limit=50,
                                                     embedder=default_embedder())}
    assert {h.slug for h in hits} == set(memory) == TEXT_SLUGS
    for hit in hits:
        assert hit.coverage == pytest.approx(memory[hit.slug].parts["coverage"], abs=1e-9)
        assert hit.relevance == pytest.approx(memory[hit.slug].parts["relevance"], abs=1e-5)
        assert hit.relevance == pytest.approx(0.3 * hit.coverage + 0.7 * hit.semantic, abs=1e-12)
    by_slug = {h.slug: h for h in hits}
    assert by_slug[CAUSAL].relevance >= 0.40 > by_slug[NLI].relevance
    # A query that brushes the best card with one word: ranked first, and still not relevant.
    thin = dataset_search(team_ids=[team_a.id], query="cause of sentiment in tweets and posts", modalities=["text"])
    assert (thin[0].slug, thin[0].matched_terms) == (CAUSAL, ["cause"])
    assert thin[0].relevance < 0.40
