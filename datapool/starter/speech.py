"""Spoken recordings with their transcripts from Debian's `pocketsphinx-testdata` (CMU Sphinx,
BSD-2): the WAV files of its `cards` and `librivox` test sets (16 kHz mono PCM), each with the
transcript its transcription file gives. The question asks what is said; the transcript is the
answer."""
from __future__ import annotations

import re
import wave
from pathlib import Path

from datapool.starter.common import (
    INSTALL_SCRIPT,
    BuildContext,
    SourceMissing,
    card,
    dataset_document,
    debian_version,
    field_spec,
    write_dataset,
)

PACKAGE = "pocketsphinx-testdata"
DATA_DIR = Path("/usr/share/pocketsphinx/test/data")
# (set name, folder, transcription file): the sets whose recordings the package ships as WAV.
SETS = (("cards", "cards", "cards.transcription"), ("librivox", "librivox", "transcription"))
PROMPT = "What is said in this recording?"
LICENSE = "BSD-2-Clause (CMU Sphinx, Carnegie Mellon University; Debian package pocketsphinx-testdata)"
FOLDER = "data/datasets/audio/PocketSphinx-Test-Recordings"
SOURCE_JSON = f"{FOLDER}/pocketsphinx_test_recordings.json"
_LINE = re.compile(r"^\s*(?:<s>)?\s*(?P<text>.*?)\s*(?:</s>)?\s*\((?P<id>[^()]+)\)\s*$")


def transcripts(path: Path) -> dict[str, str]:
    """utterance id -> transcript, from a Sphinx transcription file ("<s> words </s> (id)" per line)."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _LINE.match(line)
        if match and match["text"].strip():
            found[match["id"].strip()] = " ".join(match["text"].split())
    return found


def build(ctx: BuildContext) -> str:
    needed = [DATA_DIR / folder / name for _, folder, name in SETS]
    if not all(path.is_file() for path in needed):
        raise SourceMissing(f"Speech: the Debian package {PACKAGE} is not installed (no {needed[0]}); "
                            f"run {INSTALL_SCRIPT} or `apt-get install {PACKAGE}`")
    records = []
    for set_name, folder, transcription in SETS:
        for utterance, text in sorted(transcripts(DATA_DIR / folder / transcription).items()):
            source = DATA_DIR / folder / f"{utterance}.wav"
            if not source.is_file():
                continue
            with wave.open(str(source), "rb") as audio:  # the package's WAVs are copied as they are
                if audio.getnframes() == 0:
                    continue
            file_name = f"audio/{set_name}-{utterance}.wav"
            ctx.copy_file(source, f"{FOLDER.removeprefix('data/')}/{file_name}")
            records.append({"id": f"{set_name}-{utterance}",
                            "input": {"audio_file": file_name, "prompt": PROMPT, "corpus": set_name},
                            "output": {"transcript": text}})
    source_info = {"registry": "Debian", "package": PACKAGE, "version": debian_version(PACKAGE),
                   "files": [str(DATA_DIR / folder) + "/*.wav" for _, folder, _ in SETS] + [str(p) for p in needed],
                   "selection": "every WAV recording of the cards and librivox test sets that has a transcript; "
                                "ids are <set>-<utterance id>"}
    document = dataset_document(task="Spoken recording transcription", type_="comprehension",
                                modality_in=["audio", "text"], records=records, license_=LICENSE, source=source_info)
    fields = {
        "audio": field_spec("input.audio_file", modality="audio", extent="short", style="speech",
                            semantics="A short WAV recording (16 kHz mono) of one English speaker saying a phrase: "
                                      "playing cards, or a sentence read from a novel."),
        "question": field_spec("input.prompt", modality="text", extent="short", style="instruction",
                               semantics="A question asking what is said in the recording; it does not contain it."),
        "answer": field_spec("output.transcript", modality="text", extent="medium", style="other",
                             semantics="The transcript of the spoken words, lower case without punctuation."),
        "other_aux": field_spec("input.corpus", modality="text", extent="short", style="other",
                                semantics="The test set the recording comes from (cards or librivox)."),
    }
    card_doc = card(
        source_json=SOURCE_JSON, name="PocketSphinx Test Recordings", modalities=["audio", "text"], size=len(records),
        description=("Short spoken English recordings with their transcripts, from the speech recognition test "
                     "data of CMU PocketSphinx; the task is to say what is said in each recording."),
        card_text=("Speech recordings that CMU Sphinx uses to test its recogniser, with reference transcripts: "
                   "a speaker naming playing cards (\"ten of clubs\") and sentences read aloud from Jane Austen's "
                   "Sense and Sensibility (LibriVox audiobook). Each sample gives a WAV recording and the question "
                   "what is said in it; the answer is the transcript of the spoken words. It evaluates speech "
                   "recognition and spoken language understanding of short utterances. The test data is Copyright "
                   "1995-2014 Carnegie Mellon University and 2014-2015 Alpha Cephei Inc., distributed under the "
                   "2-clause BSD licence (LibriVox recordings are themselves in the public domain)."),
        tasks=["speech_recognition", "audio_question_answering"],
        domain="spoken English: short utterances and read speech",
        fields=fields,
        structure=("Each sample has a WAV recording, a question asking what is said, and the transcript as the "
                   "answer; the corpus names the test set."),
        license_=LICENSE, source=source_info,
        tags={"task": "Speech Transcription", "type": "comprehension", "skill": "Speech Recognition",
              "domain": "Speech"})
    return write_dataset(ctx, source_json=SOURCE_JSON, document=document, card_doc=card_doc)
