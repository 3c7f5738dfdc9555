"""Hybrid search of the dataset pool: which of the team's datasets (its own and the shared ones)
fit a query, and why.

Each candidate gets four score parts, each between 0 and 1, and their weighted sum:

    total = 0.4 * lexical + 0.4 * semantic + 0.1 * qa_bonus + 0.1 * role_bonus

- lexical: BM25 (k1 1.5, b 0.75; agents.offline.lexical) of the query's tokens against the
  card's document (agents.planner.search.card_document: name, description, card text, tasks,
  domain, field semantics), divided by the larger of the best candidate's BM25 and the query's
  reference score (a card holding each known query term once: BM25.reference_score). A card
  that matches the whole query well has 1.0; one that brushes a single word of a long query stays
  low even when nothing matches better. All 0 when no query word occurs in any card.
- semantic: cosine of the query's and the card's all-MiniLM-L6-v2 embeddings (agents.tools.embedding),
  a negative cosine counting as 0. It finds cards that say the same thing in other words.
- qa_bonus: how directly the card's field roles give question-answer items, as in the reference
  method (agents.planner.search.qa_bonus): question + answer 1.0, context + answer 0.7, context 0.4, else 0.1.
- role_bonus: the share of the requested field roles (e.g. question, answer) that the card maps;
  0 when no roles are requested.

Each hit also carries its absolute `relevance` to the query (agents.planner.search.relevance:
0.3 * the query's BM25 over its reference score + 0.7 * semantic), which does not move with the
other candidates: grounding's floor reads it, the ranking does not.

Lexical and semantic weigh the same: BM25 is exact about rare terms (a "nodule" is a nodule), the
embedding about paraphrases ("a painting in a museum" shares no word with the art card).

Before scoring, a hard modality filter (the planner's rule): with modalities requested, a dataset
qualifies only when its non-text modalities equal the requested non-text ones, so "image" finds
image+text datasets and "text" only text-only ones.

Card embeddings are stored on the card (DatasetCard.embedding) with the sha256 of the text they
were made from and the model's name: a card is embedded again only when that text or the model
changes. Search embeds stale cards on the way (in one batch); `pool_embed` (the management
command of the same name) does it ahead of time for a whole pool.

For a large pool the process keeps what it derived from each card (tokens, vector) and the BM25
index of the last candidate sets, keyed by the cards' content, so a cached entry is never stale:
a changed card has a new key. Each search still reads the candidates' text columns (no vectors).
"""
from __future__ import annotations

import functools
import hashlib
import json
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, get_args

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast

from agents.offline.lexical import BM25, tokens
from agents.planner.search import card_document, card_embedding_text, query_coverage
from agents.planner.search import qa_bonus as card_qa_bonus
from agents.planner.search import relevance as card_relevance
from agents.tools.embedding import Embedder, default_embedder
from agents.types import CardView, Modality
from datapool.cards import card_view_build, dataset_card_view
from datapool.models import Dataset, DatasetCard
from datapool.selectors import dataset_list

W_LEXICAL = 0.4
W_SEMANTIC = 0.4
W_QA_BONUS = 0.1
W_ROLE_BONUS = 0.1
WEIGHTS = {"lexical": W_LEXICAL, "semantic": W_SEMANTIC, "qa_bonus": W_QA_BONUS, "role_bonus": W_ROLE_BONUS}

MODALITIES: tuple[str, ...] = get_args(Modality)
MAX_LIMIT = 50
MAX_QUERY_LENGTH = 1000
EMBED_BATCH = 256  # cards embedded and written per round
VECTOR_DECIMALS = 7  # stored precision: cosines move by < 1e-6, and a vector's JSON stays near 4 KB


@dataclass(frozen=True)
class SearchHit:
    dataset_id: int
    slug: str
    name: str
    team: str
    is_shared: bool
    modalities: list[str]
    lexical: float
    semantic: float
    qa_bonus: float
    role_bonus: float
    total: float
    matched_terms: list[str] = field(default_factory=list)
    roles_present: list[str] = field(default_factory=list)
    # The absolute part grounding's floor reads (agents.planner.search.relevance): the query's share
    # the card says (BM25 over its reference score, not over the best candidate's) and the cosine.
    coverage: float = 0.0
    relevance: float = 0.0


def total_score(*, lexical: float, semantic: float, qa_bonus: float, role_bonus: float) -> float:
    return W_LEXICAL * lexical + W_SEMANTIC * semantic + W_QA_BONUS * qa_bonus + W_ROLE_BONUS * role_bonus


def check_search_input(*, query: str, modalities: list[str] | None, roles: list[str] | None, limit: int) -> None:
    """Raise ValidationError keyed by the API's parameter names, worded for the person searching."""
    errors: dict[str, str] = {}
    if not isinstance(query, str) or not query.strip():
        errors["q"] = "Type what you are looking for; the query is empty."
    elif len(query) > MAX_QUERY_LENGTH:
        errors["q"] = f"The query is {len(query)} characters long; the limit is {MAX_QUERY_LENGTH}."
    unknown = [m for m in modalities or [] if m not in MODALITIES]
    if unknown:
        errors["modality"] = f"Unknown modality {', '.join(repr(m) for m in unknown)}; use any of {list(MODALITIES)}."
    if any(not role.strip() for role in roles or []):
        errors["role"] = "A role is empty; name a field role such as question, answer, options, context or image."
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = f"limit must be a whole number between 1 and {MAX_LIMIT}; got {limit!r}."
    if errors:
        raise ValidationError(errors)


# --- Cards as the agent core sees them ----------------------------------------------------------

def card_view(*, card: DatasetCard) -> CardView:
    return dataset_card_view(card.dataset)


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- Stored card embeddings ---------------------------------------------------------------------

def _vector_for_storage(vector: Iterable[float]) -> list[float]:
    return [round(float(x), VECTOR_DECIMALS) for x in vector]


def _embeddings_store(*, card_ids: list[int], texts: list[str], embedder: Embedder) -> list[list[float]]:
    """Embed the texts and store each vector on its card with the text's sha256 and the model
    name; the vectors as stored.

    The sha written is that of the text embedded, in the same UPDATE as the vector, so a card
    edited meanwhile keeps a vector that says which text it belongs to, and is embedded again.
    """
    vectors = [_vector_for_storage(v) for v in embedder.embed(texts)]
    with transaction.atomic():
        for card_id, text, vector in zip(card_ids, texts, vectors, strict=True):
            DatasetCard.objects.filter(pk=card_id).update(
                embedding=vector, embedding_model=embedder.model_name, embedding_text_sha=text_sha(text))
    return vectors


def _is_current(*, stored_sha: str, stored_model: str, has_vector: bool, text: str, model_name: str) -> bool:
    return has_vector and stored_model == model_name and stored_sha == text_sha(text)


def card_embedding_refresh(*, card: DatasetCard, embedder: Embedder | None = None) -> bool:
    """Embed the card unless its stored embedding was made from its current text by this model.

    True when it was (re)computed. `card` needs its dataset (its name is part of the text).
    """
    embedder = embedder or default_embedder()
    text = card_embedding_text(card_view(card=card))
    if _is_current(stored_sha=card.embedding_text_sha, stored_model=card.embedding_model,
                   has_vector=bool(card.embedding), text=text, model_name=embedder.model_name):
        return False
    _embeddings_store(card_ids=[card.pk], texts=[text], embedder=embedder)
    card.refresh_from_db(fields=["embedding", "embedding_model", "embedding_text_sha"])
    return True


@dataclass(frozen=True)
class PoolEmbedReport:
    embedded: int
    unchanged: int


def pool_embed(*, team_ids: list[int] | None = None, embedder: Embedder | None = None,
               batch_size: int = EMBED_BATCH, on_progress=None) -> PoolEmbedReport:
    """Embed every card whose stored embedding is missing or stale: the teams' visible cards, or
    the whole pool when team_ids is None. Safe to run again: current cards are left alone."""
    embedder = embedder or default_embedder()
    datasets = Dataset.objects.all() if team_ids is None else dataset_list(team_ids=team_ids)
    datasets = datasets.filter(card__isnull=False)
    without_vector = set(datasets.filter(card__embedding__isnull=True).values_list("card__id", flat=True))
    rows = list(datasets.order_by("id").values_list(
        "card__id", "id", "slug", "name", "modalities", "card__description", "card__card_text", "card__tasks",
        "card__domain", "card__fields", "card__embedding_text_sha", "card__embedding_model"))
    stale: list[tuple[int, str]] = []
    for card_id, dataset_id, slug, name, modalities, description, card_text, tasks, domain, fields, sha, model in rows:
        text = card_embedding_text(card_view_build(dataset_id=dataset_id, slug=slug, name=name, modalities=modalities,
                                              description=description, card_text=card_text, tasks=tasks,
                                              domain=domain, fields=fields))
        if not _is_current(stored_sha=sha, stored_model=model, has_vector=card_id not in without_vector, text=text,
                           model_name=embedder.model_name):
            stale.append((card_id, text))
    for start in range(0, len(stale), batch_size):
        chunk = stale[start:start + batch_size]
        _embeddings_store(card_ids=[c for c, _ in chunk], texts=[t for _, t in chunk], embedder=embedder)
        if on_progress:
            on_progress(min(start + batch_size, len(stale)), len(stale))
    return PoolEmbedReport(embedded=len(stale), unchanged=len(rows) - len(stale))


# --- What the process keeps between searches ----------------------------------------------------

@dataclass
class _Entry:
    """What one card version yields for search: its view, BM25 tokens and embedding text."""

    uid: int
    view: CardView
    tokens: list[str]
    embedding_text: str
    embedding_sha: str
    qa_bonus: float


class _Cache:
    MAX_ENTRIES = 50_000
    MAX_INDEXES = 8

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[tuple[int, int], _Entry] = {}  # by (card id, hash of its content)
        self.vectors: dict[tuple[int, str, str], np.ndarray] = {}  # by (card id, text sha, model)
        self.indexes: OrderedDict[tuple[int, ...], BM25] = OrderedDict()  # by the candidates' entry uids
        self.next_uid = 0

    def entry(self, key: tuple[int, int], build) -> _Entry:
        found = self.entries.get(key)
        if found is None:
            with self.lock:
                if len(self.entries) >= self.MAX_ENTRIES:
                    self.entries.clear()
                    self.vectors.clear()
                self.next_uid += 1
                found = self.entries[key] = build(self.next_uid)
        return found

    def index(self, entries: list[_Entry]) -> BM25:
        key = tuple(e.uid for e in entries)
        with self.lock:
            index = self.indexes.get(key)
            if index is not None:
                self.indexes.move_to_end(key)
                return index
        index = BM25([e.tokens for e in entries])
        with self.lock:
            self.indexes[key] = index
            while len(self.indexes) > self.MAX_INDEXES:
                self.indexes.popitem(last=False)
        return index

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.vectors.clear()
            self.indexes.clear()


_cache = _Cache()


def search_cache_clear() -> None:
    """Forget what the process derived from cards (the stored embeddings stay)."""
    _cache.clear()


def _content_key(card_id: int, parts: tuple[str, ...]) -> tuple[int, int]:
    # Python's 64-bit string hash (C speed, ~1 GB/s): two versions of one card colliding is not a
    # practical risk, and the key never leaves the process.
    return card_id, hash(parts)


def _build_entry(uid: int, *, dataset_id: int, slug: str, name: str, modalities: list[str], description: str,
                 card_text: str, tasks_json: str, domain: str, fields_json: str) -> _Entry:
    view = card_view_build(dataset_id=dataset_id, slug=slug, name=name, modalities=modalities, description=description,
                      card_text=card_text, tasks=json.loads(tasks_json or "[]"), domain=domain,
                      fields=json.loads(fields_json or "{}"))
    text = card_embedding_text(view)
    return _Entry(uid=uid, view=view, tokens=[sys.intern(t) for t in card_document(view)], embedding_text=text,
                  embedding_sha=text_sha(text), qa_bonus=card_qa_bonus(view))


@functools.lru_cache(maxsize=256)
def _modalities_parse(raw: str | None) -> tuple[str, ...]:
    value = json.loads(raw) if raw else []
    return tuple(str(m) for m in value) if isinstance(value, list) else ()


@dataclass
class _Candidate:
    dataset_id: int
    slug: str
    name: str
    team: str
    is_shared: bool
    modalities: list[str]
    card_id: int
    entry: _Entry
    vector: np.ndarray | None


def _candidates(*, team_ids: list[int], modalities: list[str] | None, embedder: Embedder) -> list[_Candidate]:
    """The teams' datasets that pass the modality filter, with what search needs of each card;
    stale card embeddings are computed and stored on the way."""
    wanted = set(modalities or []) - {"text"}
    rows = (dataset_list(team_ids=team_ids).filter(card__isnull=False).order_by("slug", "id")
            .annotate(modalities_json=Cast("modalities", TextField()), tasks_json=Cast("card__tasks", TextField()),
                      fields_json=Cast("card__fields", TextField()))
            .values_list("id", "slug", "name", "team__slug", "is_shared", "modalities_json", "card__id",
                         "card__description", "card__card_text", "card__domain", "tasks_json", "fields_json",
                         "card__embedding_text_sha", "card__embedding_model"))
    candidates: list[_Candidate] = []
    stored: dict[int, tuple[str, str]] = {}
    for (dataset_id, slug, name, team, is_shared, modalities_json, card_id, description, card_text, domain,
         tasks_json, fields_json, sha, model) in rows:
        dataset_modalities = _modalities_parse(modalities_json)
        if modalities and set(dataset_modalities) - {"text"} != wanted:
            continue  # the hard modality filter
        key = _content_key(card_id, (name, description, card_text, domain, tasks_json, fields_json))
        entry = _cache.entry(key, lambda uid: _build_entry(  # noqa: B023 (called at once)
            uid, dataset_id=dataset_id, slug=slug, name=name, modalities=dataset_modalities, description=description,
            card_text=card_text, tasks_json=tasks_json, domain=domain, fields_json=fields_json))
        candidates.append(_Candidate(dataset_id=dataset_id, slug=slug, name=name, team=team, is_shared=is_shared,
                                     modalities=list(dataset_modalities or []), card_id=card_id, entry=entry,
                                     vector=None))
        stored[card_id] = (sha, model)

    model_name = embedder.model_name
    missing: list[_Candidate] = []
    for candidate in candidates:
        sha, model = stored[candidate.card_id]
        if sha == candidate.entry.embedding_sha and model == model_name:
            candidate.vector = _cache.vectors.get((candidate.card_id, sha, model))
        if candidate.vector is None:
            missing.append(candidate)
    if missing:
        _vectors_load(missing, stored=stored, embedder=embedder)
    return candidates


def _vectors_load(missing: list[_Candidate], *, stored: dict[int, tuple[str, str]], embedder: Embedder) -> None:
    """Vectors of these candidates: from the cards where current, else embedded now and stored."""
    model_name = embedder.model_name
    current = [c for c in missing if stored[c.card_id] == (c.entry.embedding_sha, model_name)]
    loaded: dict[int, Any] = {}
    for start in range(0, len(current), 500):
        ids = [c.card_id for c in current[start:start + 500]]
        loaded.update(DatasetCard.objects.filter(id__in=ids).exclude(embedding__isnull=True)
                      .filter(embedding_model=model_name).values_list("id", "embedding"))
    stale: list[_Candidate] = []
    for candidate in missing:
        vector = loaded.get(candidate.card_id)
        if isinstance(vector, list) and len(vector) > 0:
            candidate.vector = _unit(vector)
        else:
            stale.append(candidate)
    for start in range(0, len(stale), EMBED_BATCH):
        chunk = stale[start:start + EMBED_BATCH]
        vectors = _embeddings_store(card_ids=[c.card_id for c in chunk],
                                    texts=[c.entry.embedding_text for c in chunk], embedder=embedder)
        for candidate, vector in zip(chunk, vectors, strict=True):
            candidate.vector = _unit(vector)  # as stored, so this search scores as the next one will
    for candidate in missing:
        _cache.vectors[(candidate.card_id, candidate.entry.embedding_sha, model_name)] = candidate.vector


def _unit(vector: list[float]) -> np.ndarray:
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return array / norm if norm else array


# --- Search -------------------------------------------------------------------------------------

def dataset_search(*, team_ids: list[int], query: str, modalities: list[str] | None = None,
                   roles: list[str] | None = None, limit: int = 10,
                   embedder: Embedder | None = None) -> list[SearchHit]:
    """The teams' datasets (own and shared) that best fit the query, best first, with the score
    parts that explain each place. Ties are broken by slug."""
    check_search_input(query=query, modalities=modalities, roles=roles, limit=limit)
    embedder = embedder or default_embedder()
    roles = sorted({r.strip().lower() for r in roles or []})
    candidates = _candidates(team_ids=team_ids, modalities=modalities, embedder=embedder)
    if not candidates:
        return []

    query_tokens = tokens(query)
    index = _cache.index([c.entry for c in candidates])
    bm25 = np.array([index.score(query_tokens, i) for i in range(len(candidates))])
    scale = max(float(bm25.max()), index.reference_score(query_tokens))
    lexical = bm25 / scale if scale > 0 else np.zeros(len(candidates))
    query_vector = _unit(embedder.embed([query])[0])
    semantic = np.maximum(np.stack([c.vector for c in candidates]) @ query_vector, 0.0)
    qa_bonus = np.array([c.entry.qa_bonus for c in candidates])
    present = [[role for role in roles if role in c.entry.view.fields] for c in candidates]
    role_bonus = np.array([len(p) / len(roles) if roles else 0.0 for p in present])
    coverage = [query_coverage(index, query_tokens, i) for i in range(len(candidates))]
    totals = [total_score(lexical=float(lexical[i]), semantic=float(semantic[i]), qa_bonus=float(qa_bonus[i]),
                          role_bonus=float(role_bonus[i])) for i in range(len(candidates))]
    best_first = sorted(range(len(candidates)), key=lambda i: (-totals[i], candidates[i].slug))[:limit]
    return [SearchHit(dataset_id=candidates[i].dataset_id, slug=candidates[i].slug, name=candidates[i].name,
                      team=candidates[i].team, is_shared=candidates[i].is_shared, modalities=candidates[i].modalities,
                      lexical=float(lexical[i]), semantic=float(semantic[i]), qa_bonus=float(qa_bonus[i]),
                      role_bonus=float(role_bonus[i]), total=totals[i],
                      matched_terms=index.matched_terms(query_tokens, i), roles_present=present[i],
                      coverage=coverage[i], relevance=card_relevance(coverage=coverage[i], semantic=float(semantic[i])))
            for i in best_first]
