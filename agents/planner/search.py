"""Searching the pool for a subtask: the card text that search reads, the QA-friendliness bonus,
and a lexical search for pools held in memory (the Django pool uses the hybrid search of
datapool.search, which adds card embeddings to the same parts)."""
from __future__ import annotations

from agents.offline.lexical import BM25, tokens
from agents.types import CardView, PoolHit

W_LEXICAL, W_QA_BONUS, W_ROLE_BONUS = 0.8, 0.1, 0.1  # without embeddings, lexical takes the semantic share


def card_document(card: CardView) -> list[str]:
    parts = [card.name, card.description, card.card_text, " ".join(card.tasks).replace("_", " "), card.domain]
    parts += [spec.semantics for spec in card.fields.values()]
    return tokens(" ".join(parts))


def qa_bonus(card: CardView) -> float:
    """How directly a card's roles give question-answer items, as in the reference method."""
    roles = set(card.fields)
    if {"question", "answer"} <= roles:
        return 1.0
    if {"context", "answer"} <= roles:
        return 0.7
    return 0.4 if "context" in roles else 0.1


def media_of(modalities: list[str] | tuple[str, ...] | set[str]) -> frozenset[str]:
    return frozenset(modalities) - {"text"}


def lexical_search(cards: list[CardView], query: str, *, modalities: list[str], roles: list[str],
                   limit: int) -> list[PoolHit]:
    wanted = media_of(modalities)
    eligible = sorted((c for c in cards if media_of(c.modalities) == wanted), key=lambda c: c.slug)
    if not eligible:
        return []
    query_tokens = tokens(query)
    index = BM25([card_document(c) for c in eligible])
    raw = [index.score(query_tokens, i) for i in range(len(eligible))]
    scale = max(max(raw), index.reference_score(query_tokens))
    hits = []
    for i, card in enumerate(eligible):
        lexical = raw[i] / scale if scale > 0 else 0.0
        role_bonus = sum(1 for r in roles if r in card.fields) / len(roles) if roles else 0.0
        parts = {"lexical": lexical, "qa_bonus": qa_bonus(card), "role_bonus": role_bonus}
        score = W_LEXICAL * lexical + W_QA_BONUS * parts["qa_bonus"] + W_ROLE_BONUS * role_bonus
        hits.append(PoolHit(card=card, score=score, parts=parts, matched_terms=index.matched_terms(query_tokens, i)))
    hits.sort(key=lambda h: (-h.score, h.card.slug))
    return hits[:limit]
