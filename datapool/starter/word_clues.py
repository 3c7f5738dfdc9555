"""Word clues from Debian's `kdeedu-kvtml-data` (KDE Education's vocabulary files, GPL-2+): the
English word lists KHangMan and Kanagram play with (/usr/share/apps/kvtml/en/*.kvtml), each word
with the clue its authors wrote for it ("Large heavy animal with thick fur" -> bear). Every entry
of every English list that has both a word and a clue, in file and entry order."""
from __future__ import annotations

import re
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

PACKAGE = "kdeedu-kvtml-data"
DATA_DIR = Path("/usr/share/apps/kvtml/en")
LICENSE = "GPL-2+ (KDE Education vocabulary files, Debian package kdeedu-kvtml-data)"
SOURCE_JSON = "data/datasets/nlp/KDE-Word-Clues/kde_word_clues.json"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def entries(path: Path) -> tuple[str, list[tuple[str, str, str]]]:
    """The list's title and its (entry id, word, clue) with both a word and a clue, in entry order."""
    root = ET.parse(path).getroot()
    title = " ".join((root.findtext("information/title") or path.stem).split())
    found = []
    for entry in root.findall("entries/entry"):
        word = " ".join((entry.findtext("translation/text") or "").split())
        clue = " ".join((entry.findtext("translation/comment") or "").split())
        if word and clue:
            found.append((entry.get("id", ""), word, clue))
    return title, found


def build(ctx: BuildContext) -> str:
    lists = sorted(DATA_DIR.glob("*.kvtml")) if DATA_DIR.is_dir() else []
    if not lists:
        raise SourceMissing(f"Word clues: the Debian package {PACKAGE} is not installed (no {DATA_DIR}/*.kvtml); "
                            f"run {INSTALL_SCRIPT} or `apt-get install {PACKAGE}`")
    records = []
    titles = []
    for path in lists:
        title, found = entries(path)
        if found:
            titles.append(title)
        for entry_id, word, clue in found:
            records.append({"id": f"clue-{path.stem}-{entry_id}",
                            "input": {"question": f'Which word does this clue describe: "{clue}"?', "clue": clue,
                                      "category": title},
                            "output": {"answer": word}})
    source = {"registry": "Debian", "package": PACKAGE, "version": debian_version(PACKAGE),
              "files": [str(DATA_DIR) + "/*.kvtml"],
              "selection": "every entry with a word and a clue of every English list, lists sorted by file name; "
                           "ids are clue-<list>-<entry id>"}
    document = dataset_document(task="Word clues", type_="comprehension", modality_in=["text"], records=records,
                                license_=LICENSE, source=source)
    fields = {
        "question": field_spec("input.question", modality="text", extent="short", style="instruction",
                               semantics="A question asking which word a short clue describes, quoting the clue."),
        "answer": field_spec("output.answer", modality="text", extent="short", style="other",
                             semantics="The word the clue describes (lower case, as in the word list)."),
        "context": field_spec("input.clue", modality="text", extent="short", style="definition",
                              semantics="The clue alone: a short definition or hint such as 'Sea mammal'."),
        "other_aux": field_spec("input.category", modality="text", extent="short", style="other",
                                semantics="The word list the entry comes from, e.g. Animals, Fruits, Space."),
    }
    card_doc = card(
        source_json=SOURCE_JSON, name="KDE Word Clues", modalities=["text"], size=len(records),
        description=("English words with short clues, as in a crossword or hangman game ('Sea mammal' -> "
                     "dolphin): guess the word from its definition or hint."),
        card_text=("The English vocabulary lists of KDE Education's word games (KHangMan, Kanagram): each entry is "
                   "a word with a clue written for it by the lists' authors. The lists cover "
                   f"{', '.join(titles)}. Each sample asks which word a clue describes; the answer is the word. It "
                   "evaluates vocabulary, definitions and general knowledge: reverse-dictionary lookup and "
                   "crossword-style clue solving. KDE distributes the lists under the GNU GPL, version 2 or later "
                   "(Copyright 2008 Anne-Marie Mahfouf and others)."),
        tasks=["question_answering", "open_ended_qa", "definition_modeling"],
        domain="vocabulary: English words and their definitions (animals, food, jobs, space, sports, capitals)",
        fields=fields,
        structure="Each sample has a question quoting a clue, the clue alone, its word list, and the word as the answer.",
        license_=LICENSE, source=source,
        tags={"task": "Word Clues", "type": "comprehension", "skill": "Vocabulary", "domain": "Language"})
    return write_dataset(ctx, source_json=SOURCE_JSON, document=document, card_doc=card_doc)
