"""The relevance floor on the labelled pairs of bench/data/grounding_pairs.json (the figures
bench/grounding_quality.py prints): precision and recall of "fits" stay at what was measured when
the floor was chosen, on this fixed data, for the hybrid relevance and for coverage alone."""
from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

from agents.planner.grounding import GroundingConfig
from agents.planner.relevance import RELEVANCE_FLOOR, RELEVANCE_FLOOR_LEXICAL
from agents.tools.embedding import default_embedder
from datapool.starter import build_starter_pool
from tests.conftest import SEED_POOL

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("grounding_quality", ROOT / "bench" / "grounding_quality.py")
quality = importlib.util.module_from_spec(_spec)
sys.modules["grounding_quality"] = quality  # its dataclasses look their module up
_spec.loader.exec_module(quality)


@pytest.fixture(scope="module")
def cards(tmp_path_factory):
    out = tmp_path_factory.mktemp("starter") / "pool"
    skipped: list[str] = []
    build_starter_pool(out, src_dir=ROOT / "var" / "starter-src", skipped=skipped)
    assert skipped == [], "the starter pool's packages are missing (bash scripts/install-starter-packages.sh)"
    return quality.pool_cards(SEED_POOL, out)


def test_the_labelled_set_is_wide_enough():
    labelled = quality.labelled_pairs()
    pairs = labelled["pairs"]
    assert len(pairs) == 124 and sum(p["fits"] for p in pairs) == 33
    assert all(p["reason"].strip() and p["request"] in labelled["requests"] for p in pairs)
    media = Counter(",".join(labelled["requests"][p["request"]]["media"]) or "text" for p in pairs)
    assert media == {"image": 58, "text": 54, "audio": 9, "audio,image": 3}
    assert len({(p["request"], p["dataset"]) for p in pairs}) == 124


def test_precision_and_recall_of_fits_at_the_floor(cards):
    assert (GroundingConfig().relevance_floor, RELEVANCE_FLOOR) == (0.40, 0.40)
    scored = quality.score_pairs(quality.labelled_pairs(), cards, embedder=quality.CachedEmbedder(default_embedder()))
    precision, recall, tp, fp, fn = quality.precision_recall(scored, RELEVANCE_FLOOR)
    assert (tp, fp, fn) == (30, 3, 3)
    assert (round(precision, 3), round(recall, 3)) == (0.909, 0.909)
    missed = sorted((s.request, s.dataset) for s in scored if s.fits and s.relevance < RELEVANCE_FLOOR)
    assert missed == [("causal", "Document-Level-Causal-Reasoning"), ("perspectives", "Event-Coreference-Resolution"),
                      ("social", "Social-Science-Question-Answering")]
    # The near misses the issue names stay below the floor.
    by_pair = {(s.request, s.dataset): s.relevance for s in scored}
    for near_miss in (("chart-reading", "Lung Nodule Diagnosis Vqa"), ("sentiment-posts", "Car Brands Recognition"),
                      ("exam-knowledge", "World Flags"), ("digits", "Fashion-MNIST Test Subset")):
        assert by_pair[near_miss] < RELEVANCE_FLOOR


def test_precision_and_recall_without_embeddings(cards):
    scored = quality.score_pairs(quality.labelled_pairs(), cards, embedder=None)
    precision, recall, tp, fp, fn = quality.precision_recall(scored, RELEVANCE_FLOOR_LEXICAL)
    assert (tp, fp, fn) == (29, 4, 4)
    assert (round(precision, 3), round(recall, 3)) == (0.879, 0.879)
