#!/usr/bin/env python
"""Benchmark (not a test): hybrid dataset search over a large pool, and the cost of card embeddings.

On a fresh SQLite database in a temporary folder (or on BENCH_DATABASE_URL when set): imports the
seed pool, adds synthetic datasets whose cards vary the real cards' text (sentences reordered,
words from other cards mixed in, numbered names) up to --cards cards, embeds every card
(pool_embed), then times searches and prints the figures:

- embedding time per 1,000 cards (all-MiniLM-L6-v2 int8 ONNX on this CPU);
- search latency, median and p95: the first search of a process (vectors read from the
  database, BM25 index built) and then searches with a warm process (what a running server sees).

    .venv/bin/python bench/search_latency.py [--cards 10000] [--searches 200]
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from pathlib import Path

from _django import django_on_fresh_database

QUERIES = [
    ("artwork painting period", ["image"]),
    ("premise hypothesis entailment", ["text"]),
    ("which option is the cause of the event", None),
    ("lung nodule malignant CT", ["image"]),
    ("a painting in a museum", None),
    ("find the bird in the picture", ["image"]),
    ("relations between people in a dialogue", None),
    ("what time does the clock show", ["image"]),
    ("moral judgement of everyday behaviour", ["text"]),
    ("reply to a conversation", None),
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def synthetic_cards(team, count: int, seed: int = 7) -> int:
    """Add datasets with cards varied from the team's real cards until the pool holds `count` cards."""
    from datapool.models import Dataset, DatasetCard

    real = list(DatasetCard.objects.filter(dataset__team=team).select_related("dataset").order_by("id"))
    words = sorted({w for c in real for w in re.findall(r"[a-z]{5,}", c.description.lower())})
    rng = random.Random(seed)
    missing = count - len(real)
    for start in range(0, max(missing, 0), 1000):
        datasets, cards = [], []
        for i in range(start, min(start + 1000, missing)):
            base = real[i % len(real)]
            sentences = re.split(r"(?<=[.!?])\s+", base.description.strip())
            rng.shuffle(sentences)
            extra = " ".join(rng.sample(words, 4))
            text_sentences = re.split(r"(?<=[.!?])\s+", base.card_text.strip())
            rng.shuffle(text_sentences)
            datasets.append(Dataset(team=team, slug=f"{base.dataset.slug}-v{i}"[:120], name=f"{base.dataset.name} v{i}",
                                    source_format=base.dataset.source_format, modalities=base.dataset.modalities,
                                    record_count=base.dataset.record_count))
            cards.append(DatasetCard(description=" ".join(sentences) + f" Also about {extra}.",
                                     card_text=" ".join(text_sentences), tasks=base.tasks, domain=base.domain,
                                     fields=base.fields, io_schemas=base.io_schemas))
        Dataset.objects.bulk_create(datasets)
        created = {d.slug: d for d in Dataset.objects.filter(slug__in=[d.slug for d in datasets], team=team)}
        for dataset, card in zip(datasets, cards, strict=True):
            card.dataset = created[dataset.slug]
        DatasetCard.objects.bulk_create(cards)
    return DatasetCard.objects.filter(dataset__team=team).count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--searches", type=int, default=200)
    args = parser.parse_args()

    workdir = django_on_fresh_database("bench-search-")
    from django.conf import settings

    from agents.tools.embedding import MiniLMEmbedder
    from datapool.search import dataset_search, pool_embed, search_cache_clear
    from datapool.services import pool_import
    from teams.services import team_get_or_create

    team = team_get_or_create(slug="bench")
    pool_import(team=team, pool_dir=Path(settings.SEED_POOL_DIR))
    t0 = time.perf_counter()
    cards = synthetic_cards(team, args.cards)
    t_make = time.perf_counter() - t0

    embedder = MiniLMEmbedder()
    embedder.embed(["load the model"])  # the one-off model load is not part of the per-card figure
    t0 = time.perf_counter()
    report = pool_embed(team_ids=[team.id], embedder=embedder)
    t_embed = time.perf_counter() - t0

    search_cache_clear()
    t0 = time.perf_counter()
    dataset_search(team_ids=[team.id], query=QUERIES[0][0], modalities=QUERIES[0][1], embedder=embedder)
    t_first = time.perf_counter() - t0

    cold, warm = [], []
    for query, modalities in QUERIES:  # each candidate set once with an empty process cache
        search_cache_clear()
        t0 = time.perf_counter()
        dataset_search(team_ids=[team.id], query=query, modalities=modalities, embedder=embedder)
        cold.append(time.perf_counter() - t0)
    for i in range(args.searches):
        query, modalities = QUERIES[i % len(QUERIES)]
        t0 = time.perf_counter()
        hits = dataset_search(team_ids=[team.id], query=query, modalities=modalities, embedder=embedder)
        warm.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    embedder.embed([q for q, _ in QUERIES] * 10)
    t_query_embed = (time.perf_counter() - t0) / (len(QUERIES) * 10)

    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} ({workdir})")
    print(f"pool: {cards} cards ({cards - 17} synthetic, made in {t_make:.1f} s)")
    print(f"embedding: {report.embedded} cards in {t_embed:.1f} s = {1000 * t_embed / max(report.embedded, 1):.1f} s "
          f"per 1,000 cards (model {embedder.model_name}); a query: {1000 * t_query_embed:.1f} ms")
    print(f"search, first of a process (vectors read from the database, index built): {1000 * t_first:.0f} ms")
    print(f"search with an empty process cache, {len(cold)} queries: median {1000 * statistics.median(cold):.0f} ms, "
          f"p95 {1000 * percentile(cold, 0.95):.0f} ms")
    print(f"search with a warm process, {len(warm)} queries: median {1000 * statistics.median(warm):.0f} ms, "
          f"p95 {1000 * percentile(warm, 0.95):.0f} ms")
    print(f"  last query {QUERIES[(args.searches - 1) % len(QUERIES)][0]!r}: top hit {hits[0].slug} "
          f"(total {hits[0].total:.3f})")


if __name__ == "__main__":
    main()
