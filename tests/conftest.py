"""Shared fixtures. Tests read the real seed pool at ../shared/seed-pool (SEED_POOL_DIR)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from benchmarks import services
from datapool.importers.general_bench import dataset_import_general_bench
from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.llm_server import llm_server  # noqa: F401  (the local OpenAI-protocol server fixture)

SEED_POOL = Path(django_settings.SEED_POOL_DIR)

# Datasets most tests need: three text sets and one image set (names as their cards give them).
TEXT_DATASETS = ("Causal-Reasoning", "Social-Science-Question-Answering", "Natural-Language-Inference")
IMAGE_DATASETS = ("Art Image Visual Question Answering",)


@pytest.fixture(scope="session")
def media_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _platform_settings(settings, media_root):
    settings.MEDIA_ROOT = media_root
    settings.BENCH_TASKS_INLINE = True
    settings.BENCH_OUTBOUND_ALLOW = []  # whatever the machine's .env says: tests allow what they use


def seed_cards() -> dict[str, dict]:
    cards = {}
    for path in sorted((SEED_POOL / "dataset_cards").glob("*_card.json")):
        card = json.loads(path.read_text(encoding="utf-8"))
        cards[card["name"]] = card
    return cards


def import_seed_datasets(team, names) -> dict[str, object]:
    """Import the named seed-pool datasets into the team; the reports by name."""
    cards = seed_cards()
    reports = {}
    for name in names:
        card = cards[name]
        relative = card["raw_meta"]["source_json"].removeprefix("data/")
        reports[name] = dataset_import_general_bench(team=team, json_path=SEED_POOL / relative, card=card,
                                                     pool_datasets_dir=SEED_POOL / "datasets")
    return reports


@pytest.fixture
def team_a(db):
    return TeamFactory(slug="team-a")


@pytest.fixture
def team_b(db):
    return TeamFactory(slug="team-b")


@pytest.fixture
def user_a(team_a):
    user = UserFactory(username="alice")
    MembershipFactory(team=team_a, user=user)
    return user


@pytest.fixture
def user_b(team_b):
    user = UserFactory(username="bob")
    MembershipFactory(team=team_b, user=user)
    return user


@pytest.fixture
def api_a(user_a) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user_a).key}")
    return client


@pytest.fixture
def api_b(user_b) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user_b).key}")
    return client


@pytest.fixture
def pool_a(team_a):
    """Team A's pool: three text datasets and one image dataset from the seed pool."""
    return import_seed_datasets(team_a, TEXT_DATASETS + IMAGE_DATASETS)


@pytest.fixture
def built_text_benchmark(team_a, user_a, pool_a):
    """A finished 12-sample text build in team A (foreground, the same path as the queue)."""
    started = services.build_start(auto_approve=True, team=team_a, user=user_a, target_size=12, run_in_background=False,
                                   text="Can a model pick the most plausible cause or effect of an everyday event?")
    services.build_run_foreground(run_id=started.run.id)
    return started


@pytest.fixture
def built_image_benchmark(team_a, user_a, pool_a):
    """A finished 6-sample image build in team A (samples carry images; one more was rejected)."""
    # Seed 3 draws one image whose sample verification rejects (tests of rejected samples use it).
    started = services.build_start(auto_approve=True, team=team_a, user=user_a, target_size=6, run_in_background=False,
                                   seed=3, text="Visual question answering about what is shown in artwork images and paintings.")
    services.build_run_foreground(run_id=started.run.id)
    return started
