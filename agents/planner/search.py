"""Searching the pool for a subtask: the card text that search reads, the QA-friendliness bonus,
the absolute relevance of a card to a query, and a search for pools held in memory (the Django
pool uses the hybrid search of datapool.search, which computes the same parts from stored card
embeddings).

Relevance is what grounding's floor reads: how much a card is about what a query asks, on a scale
that does not depend on the other candidates (unlike the ranking score, whose lexical part is
scaled by the best candidate):

    relevance = 0.3 * coverage + 0.7 * semantic   (with an embedder; coverage alone without one)

- coverage: the query's BM25 against the card divided by BM25.reference_score (a card holding each
  query term once; a term no card holds counts at the rarest idf), capped at 1: the idf-weighted
  share of the query that the card says. Unknown words count against it, so "sentiment of posts"
  brushes a car-logo card's "classification" at 0.05, not at 1.0.
- semantic: the cosine of the query's and the card's all-MiniLM-L6-v2 embeddings (negative as 0).

The weights were chosen on bench/data/grounding_pairs.json (124 labelled request/dataset pairs;
`bench/grounding_quality.py` prints the sweep): 0.3/0.7 gave the best F1 of "fits" of the linear
mixes tried (0 to 1 in steps of 0.1), ahead of max() and geometric mixes.
"""
from __future__ import annotations

import numpy as np

from agents.offline.lexical import BM25, tokens
from agents.tools.embedding import Embedder
from agents.types import CardView, PoolHit

W_LEXICAL, W_QA_BONUS, W_ROLE_BONUS = 0.8, 0.1, 0.1  # without embeddings, lexical takes the semantic share
W_HYBRID = {"lexical": 0.4, "semantic": 0.4, "qa_bonus": 0.1, "role_bonus": 0.1}  # as datapool.search weighs them
W_COVERAGE, W_MEANING = 0.3, 0.7  # relevance = W_COVERAGE * coverage + W_MEANING * semantic (see above)


def card_document(card: CardView) -> list[str]:
    parts = [card.name, card.description, card.card_text, " ".join(card.tasks).replace("_", " "), card.domain]
    parts += [spec.semantics for spec in card.fields.values()]
    return tokens(" ".join(parts))


def card_embedding_text(card: CardView) -> str:
    """What a card's embedding is made from: the card's summary, not its long text.

    all-MiniLM-L6-v2 was trained on short texts and reads at most 256 tokens; name, description,
    tasks and domain come to about 60-110 tokens on the seed pool and say what the dataset is for.
    """
    tasks = ", ".join(t.replace("_", " ") for t in card.tasks)
    parts = [f"{card.name}.", card.description.strip()]
    if tasks:
        parts.append(f"Tasks: {tasks}.")
    if card.domain:
        parts.append(f"Domain: {card.domain}.")
    return " ".join(p for p in parts if p)


def qa_bonus(card: CardView) -> float:
    """How directly a card's roles give question-answer items, as in the reference method. A label
    with media (an image or audio folder of classes) is a classification source as direct as a
    question-answer set: the question is the template's, the label the answer."""
    roles = set(card.fields)
    media = roles & {"image", "audio"}
    if {"question", "answer"} <= roles or ({"label", "answer"} <= roles and media):
        return 1.0
    if "answer" in roles and ("context" in roles or media):
        return 0.7  # the passage or the media is what the item asks about
    return 0.4 if "context" in roles else 0.1


def media_of(modalities: list[str] | tuple[str, ...] | set[str]) -> frozenset[str]:
    return frozenset(modalities) - {"text"}


def query_coverage(index: BM25, query_tokens: list[str], i: int) -> float:
    """The share of the query (idf-weighted) that document i of the index says, in [0, 1]."""
    reference = index.reference_score(query_tokens)
    return min(1.0, index.score(query_tokens, i) / reference) if reference > 0 else 0.0


def relevance(*, coverage: float, semantic: float | None) -> float:
    """How much a card is about a query, absolutely (see the module's doc); coverage alone when the
    pool has no embeddings."""
    if semantic is None:
        return coverage
    return W_COVERAGE * coverage + W_MEANING * max(0.0, semantic)


def lexical_search(cards: list[CardView], query: str, *, modalities: list[str], roles: list[str],
                   limit: int, embedder: Embedder | None = None) -> list[PoolHit]:
    """Search cards held in memory. Without an embedder: BM25 and the bonuses; with one, the hybrid
    score of datapool.search (lexical, semantic, QA and role bonuses) on the same parts."""
    wanted = media_of(modalities)
    eligible = sorted((c for c in cards if media_of(c.modalities) == wanted), key=lambda c: c.slug)
    if not eligible:
        return []
    query_tokens = tokens(query)
    index = BM25([card_document(c) for c in eligible])
    raw = [index.score(query_tokens, i) for i in range(len(eligible))]
    scale = max(max(raw), index.reference_score(query_tokens))
    semantic: list[float] | None = None
    if embedder is not None:
        vectors = np.asarray(embedder.embed([query] + [card_embedding_text(c) for c in eligible]), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
        semantic = [max(0.0, float(v)) for v in vectors[1:] @ vectors[0]]
    hits = []
    for i, card in enumerate(eligible):
        lexical = raw[i] / scale if scale > 0 else 0.0
        role_bonus = sum(1 for r in roles if r in card.fields) / len(roles) if roles else 0.0
        coverage = query_coverage(index, query_tokens, i)
        parts = {"lexical": lexical, "qa_bonus": qa_bonus(card), "role_bonus": role_bonus, "coverage": coverage}
        if semantic is None:
            score = W_LEXICAL * lexical + W_QA_BONUS * parts["qa_bonus"] + W_ROLE_BONUS * role_bonus
            parts["relevance"] = relevance(coverage=coverage, semantic=None)
        else:
            parts["semantic"] = semantic[i]
            score = sum(W_HYBRID[k] * parts[k] for k in W_HYBRID)
            parts["relevance"] = relevance(coverage=coverage, semantic=semantic[i])
        hits.append(PoolHit(card=card, score=score, parts=parts, matched_terms=index.matched_terms(query_tokens, i)))
    hits.sort(key=lambda h: (-h.score, h.card.slug))
    return hits[:limit]
