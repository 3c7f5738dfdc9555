"""Spoken letters and syllables from Debian's `klettres-data` (KDE's KLettres, GPL-2+): recordings of
native speakers saying each letter of their alphabet and short syllables, as the package's
sounds.xml lists them, for English, British English, French and German.

The package ships Ogg Vorbis at 44.1 kHz; each recording is decoded and written as 16 kHz mono
16-bit WAV (PyAV, pinned in requirements.txt), the format of the pool's other speech set, which
the executor's audio tools (noise mixing, speech recognition) read. Nothing else is changed."""
from __future__ import annotations

import io
import re
import wave
import xml.etree.ElementTree as ET
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

PACKAGE = "klettres-data"
DATA_DIR = Path("/usr/share/klettres")
LANGUAGES = (("en", "English"), ("en_GB", "British English"), ("fr", "French"), ("de", "German"))
RATE = 16000
LICENSE = "GPL-2+ (KDE's KLettres, Debian package klettres-data)"
FOLDER = "data/datasets/audio/KLettres-Spoken-Letters"
SOURCE_JSON = f"{FOLDER}/klettres_spoken_letters.json"
PROMPTS = {"letter": "Which letter of the {language} alphabet is spoken in this recording?",
           "syllable": "Which {language} syllable is spoken in this recording?"}


def sounds(code: str) -> list[tuple[str, str, str]]:
    """(kind, name, file relative to DATA_DIR) of a language's alphabet then syllables, in sounds.xml order."""
    root = ET.parse(DATA_DIR / code / "sounds.xml").getroot()
    found = []
    for language in root.findall("language"):
        for kind, tag in (("letter", "alphabet"), ("syllable", "syllables")):
            for sound in language.findall(f"{tag}/sound"):
                name, file = (sound.get("name") or "").strip(), (sound.get("file") or "").strip()
                if name and file:
                    found.append((kind, name, file))
    return found


def wav_16k(path: Path) -> bytes:
    """The recording decoded to 16 kHz mono 16-bit PCM WAV."""
    import av

    pcm = bytearray()
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                pcm += bytes(out.planes[0])[:out.samples * 2]
        for out in resampler.resample(None):
            pcm += bytes(out.planes[0])[:out.samples * 2]
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sink:
        sink.setnchannels(1)
        sink.setsampwidth(2)
        sink.setframerate(RATE)
        sink.writeframes(bytes(pcm))
    return buffer.getvalue()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def build(ctx: BuildContext) -> str:
    needed = [DATA_DIR / code / "sounds.xml" for code, _ in LANGUAGES]
    if not all(path.is_file() for path in needed):
        raise SourceMissing(f"Spoken letters: the Debian package {PACKAGE} is not installed (no {needed[0]}); "
                            f"run {INSTALL_SCRIPT} or `apt-get install {PACKAGE}`")
    records = []
    for code, language in LANGUAGES:
        for kind, name, file in sounds(code):
            source = DATA_DIR / file
            if not source.is_file():
                continue  # a sound sounds.xml lists but the package does not ship is left out, not made up
            file_name = f"audio/{_slug(code)}-{kind}-{_slug(Path(file).stem)}.wav"
            ctx.write_bytes(f"{FOLDER.removeprefix('data/')}/{file_name}", wav_16k(source))
            records.append({"id": f"klettres-{_slug(code)}-{kind}-{_slug(Path(file).stem)}",
                            "input": {"audio_file": file_name, "prompt": PROMPTS[kind].format(language=language),
                                      "language": language, "kind": kind},
                            "output": {"spoken": name}})
    source_info = {"registry": "Debian", "package": PACKAGE, "version": debian_version(PACKAGE),
                   "files": [str(path) for path in needed] + [f"{DATA_DIR}/<language>/alpha|syllab/*.ogg"],
                   "selection": "every letter and syllable that sounds.xml lists for en, en_GB, fr and de, in its "
                                "order; ids are klettres-<language>-<letter|syllable>-<file name>",
                   "conversion": f"Ogg Vorbis decoded and resampled to {RATE} Hz mono 16-bit WAV with PyAV"}
    document = dataset_document(task="Spoken letter recognition", type_="comprehension",
                                modality_in=["audio", "text"], records=records, license_=LICENSE, source=source_info)
    fields = {
        "audio": field_spec("input.audio_file", modality="audio", extent="short", style="speech",
                            semantics="A one-second recording (16 kHz mono WAV) of a native speaker saying one "
                                      "letter of the alphabet or one short syllable."),
        "question": field_spec("input.prompt", modality="text", extent="short", style="instruction",
                               semantics="A question asking which letter or syllable of the named language is "
                                         "spoken; it does not contain it."),
        "answer": field_spec("output.spoken", modality="text", extent="short", style="other",
                             semantics="The letter or syllable spoken, in capitals (e.g. A, Ä, CAR)."),
        "other_aux": field_spec("input.language", modality="text", extent="short", style="other",
                                semantics="The language of the recording: English, British English, French or German."),
    }
    card_doc = card(
        source_json=SOURCE_JSON, name="KLettres Spoken Letters", modalities=["audio", "text"], size=len(records),
        description=("Short recordings of native speakers saying the letters of the alphabet and simple syllables "
                     "in English, British English, French and German; the task is to recognise which letter or "
                     "syllable is spoken."),
        card_text=("The voice recordings of KLettres, KDE's alphabet-learning program: for each language a native "
                   "speaker says every letter of the alphabet and a set of short syllables (CAR, DOG, KEY in "
                   "English; BA, LU in French; SCH, WAS in German). Each sample gives one recording and asks which "
                   "letter or syllable is spoken; the answer is the letter or syllable. It evaluates speech "
                   "recognition of isolated spoken letters and syllables (spelling, phonetics) across four "
                   "languages, with one speaker per language. KLettres is distributed under the GNU GPL, version 2 "
                   "or later (Copyright 2001-2011 Anne-Marie Mahfouf and others)."),
        tasks=["speech_recognition", "audio_classification", "audio_question_answering"],
        domain="spoken language: letters of the alphabet and syllables in English, French and German",
        fields=fields,
        structure=("Each sample has a recording, a question naming its language, the letter or syllable spoken as "
                   "the answer, and the language beside it."),
        license_=LICENSE, source=source_info,
        tags={"task": "Spoken Letters", "type": "comprehension", "skill": "Speech Recognition", "domain": "Speech"})
    return write_dataset(ctx, source_json=SOURCE_JSON, document=document, card_doc=card_doc)
