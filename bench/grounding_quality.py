#!/usr/bin/env python
"""Benchmark (not a test): how well grounding's absolute relevance floor tells the datasets that fit
a request from those that do not.

Reads the labelled pairs of bench/data/grounding_pairs.json (request, dataset, fits?, reason) over
the seed pool (SEED_POOL_DIR, ../shared/seed-pool) and the starter pool (built from the installed
packages into a temporary folder, or read from --starter). For each pair it computes the card's
relevance to the request as grounding does: `agents.planner.search.lexical_search` with the
packaged embedder (the same parts datapool.search computes) among the pool's cards of the
dataset's media; a text dataset for a request whose items carry media is searched with the request
less its medium words, as grounding's synthesis routes search (`grounding.route_query`).

Prints precision and recall of "fits" at the floor in force (GroundingConfig), the curve around it,
the weights sweep the floor's mix was chosen from, and the pairs the floor gets wrong.

    .venv/bin/python bench/grounding_quality.py [--starter DIR] [--lexical]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ROOT / "bench" / "data" / "grounding_pairs.json"
sys.path.insert(0, str(ROOT))

from agents.planner.relevance import RELEVANCE_FLOOR, RELEVANCE_FLOOR_LEXICAL, route_query  # noqa: E402
from agents.planner.search import lexical_search, media_of  # noqa: E402
from agents.types import CardView, FieldSpec  # noqa: E402


@dataclass(frozen=True)
class Scored:
    request: str
    dataset: str
    fits: bool
    reason: str
    coverage: float
    semantic: float | None
    relevance: float


def card_from_json(card: dict, dataset_id: int) -> CardView:
    """The card as the pool shows it once imported (datapool.cards.card_view_build of the stored card)."""
    fields = {}
    for role, spec in ((card.get("meta") or {}).get("fields") or {}).items():
        if isinstance(spec, dict):
            fields[str(role)] = FieldSpec(paths=[str(p) for p in spec.get("paths", []) if isinstance(p, str)],
                                          modality=str(spec.get("modality", "text")),
                                          content_extent=str(spec.get("content_extent", "")),
                                          style=str(spec.get("style", "")), semantics=str(spec.get("semantics", "")))
    name = str(card["name"])
    return CardView(dataset_id=dataset_id, slug=name.lower().replace(" ", "-"), name=name,
                    description=card.get("description", "") or "", card_text=card.get("card_text", "") or "",
                    tasks=[str(t) for t in card.get("tasks", [])], domain=card.get("domain", "") or "",
                    modalities=list(card.get("modalities", [])), fields=fields)


def pool_cards(*folders: Path) -> list[CardView]:
    cards: list[CardView] = []
    for folder in folders:
        for path in sorted((folder / "dataset_cards").glob("*_card.json")):
            cards.append(card_from_json(json.loads(path.read_text(encoding="utf-8")), len(cards) + 1))
    return cards


class CachedEmbedder:
    """An embedder that embeds each text once (the pairs search the same cards again and again)."""

    def __init__(self, embedder) -> None:
        self.embedder = embedder
        self.model_name = embedder.model_name
        self.vectors: dict[str, list[float]] = {}

    def embed(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if missing:
            self.vectors.update(zip(missing, self.embedder.embed(missing), strict=True))
        return [self.vectors[t] for t in texts]


def starter_folder() -> Path:
    from datapool.starter import build_starter_pool

    out = Path(tempfile.mkdtemp(prefix="grounding-quality-")) / "starter"
    skipped: list[str] = []
    build_starter_pool(out, src_dir=os.environ.get("STARTER_SRC_DIR", ROOT / "var" / "starter-src"), skipped=skipped)
    if skipped:
        raise SystemExit("the starter pool's packages are missing (bash scripts/install-starter-packages.sh): "
                         + "; ".join(skipped))
    return out


def score_pairs(labelled: dict, cards: list[CardView], *, embedder=None) -> list[Scored]:
    """Each pair's relevance, as grounding computes it for that dataset and request."""
    by_name = {c.name: c for c in cards}
    out: list[Scored] = []
    for pair in labelled["pairs"]:
        request = labelled["requests"][pair["request"]]
        card = by_name[pair["dataset"]]
        synthesised = bool(request["media"]) and not media_of(card.modalities)
        query = route_query(request["text"], "render" if synthesised else "")
        hits = lexical_search(cards, query, modalities=card.modalities, roles=[], limit=len(cards), embedder=embedder)
        hit = next(h for h in hits if h.card.dataset_id == card.dataset_id)
        out.append(Scored(request=pair["request"], dataset=pair["dataset"], fits=pair["fits"], reason=pair["reason"],
                          coverage=hit.parts["coverage"], semantic=hit.parts.get("semantic"),
                          relevance=hit.parts["relevance"]))
    return out


def precision_recall(scored: list[Scored], floor: float, *, relevance=None) -> tuple[float, float, int, int, int]:
    """(precision, recall, true, false positives, false negatives) of "fits" at the floor."""
    value = relevance or (lambda s: s.relevance)
    tp = sum(1 for s in scored if s.fits and value(s) >= floor)
    fp = sum(1 for s in scored if not s.fits and value(s) >= floor)
    fn = sum(1 for s in scored if s.fits and value(s) < floor)
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0), tp, fp, fn


def labelled_pairs() -> dict:
    return json.loads(PAIRS.read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starter", default="", help="A built starter pool folder (default: build one now).")
    parser.add_argument("--lexical", action="store_true", help="Without embeddings (a pool that has none).")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchplatform.settings")
    from django.conf import settings

    labelled = labelled_pairs()
    cards = pool_cards(Path(settings.SEED_POOL_DIR), Path(args.starter) if args.starter else starter_folder())
    embedder = None
    if not args.lexical:
        from agents.tools.embedding import default_embedder

        embedder = CachedEmbedder(default_embedder())
    scored = score_pairs(labelled, cards, embedder=embedder)
    floor = RELEVANCE_FLOOR_LEXICAL if args.lexical else RELEVANCE_FLOOR
    fits = sum(s.fits for s in scored)
    print(f"{len(scored)} labelled pairs ({fits} fit, {len(scored) - fits} do not) over {len(cards)} cards; "
          f"{len(labelled['requests'])} requests; relevance {'coverage alone' if args.lexical else '0.3 coverage + 0.7 semantic'}")
    p, r, tp, fp, fn = precision_recall(scored, floor)
    print(f"\nat the floor {floor:.2f}: precision {p:.3f}  recall {r:.3f}  ({tp} fits kept, {fp} false, {fn} missed)")
    print("\nfloor  precision  recall   F1")
    for step in range(-10, 11, 2):
        f = round(floor + step / 100, 2)
        p, r, *_ = precision_recall(scored, f)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{f:5.2f}  {p:9.3f}  {r:6.3f}  {f1:.3f}{'  <- in force' if step == 0 else ''}")
    if not args.lexical:
        print("\nmix (coverage weight)  best floor  precision  recall   F1")
        for tenth in range(0, 11):
            w = tenth / 10

            def mixed(s: Scored, w: float = w) -> float:
                return w * s.coverage + (1 - w) * (s.semantic or 0.0)

            best = max(((precision_recall(scored, f / 100, relevance=mixed), f / 100) for f in range(10, 90)),
                       key=lambda t: (2 * t[0][0] * t[0][1] / (t[0][0] + t[0][1]) if t[0][0] + t[0][1] else 0, -t[1]))
            (p, r, *_), f = best
            print(f"{w:21.1f}  {f:10.2f}  {p:9.3f}  {r:6.3f}  {2 * p * r / (p + r) if p + r else 0:.3f}")
    print("\nwrong at the floor in force:")
    for s in sorted(scored, key=lambda s: -s.relevance):
        if s.fits != (s.relevance >= floor):
            print(f"  {'missed' if s.fits else 'false '} {s.relevance:.3f}  {s.request} / {s.dataset}: {s.reason}")


if __name__ == "__main__":
    main()
