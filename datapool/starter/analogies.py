"""Word analogies: Google's analogy test set (Mikolov et al., 2013, "a is to b as c is to d"), the
copy gensim ships as gensim/test/test_data/questions-words.txt, read straight out of the gensim
wheel (never installed by this builder). The first 25 questions of each of its 14 sections in
file order: capitals, currencies, US states' cities, family words and nine grammatical relations."""
from __future__ import annotations

from datapool.starter.common import (
    BuildContext,
    PinnedWheel,
    SourceMissing,
    card,
    dataset_document,
    field_spec,
    wheel_member,
    write_dataset,
)

WHEEL = PinnedWheel(package="gensim", version="4.4.0",
                    filename="gensim-4.4.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
                    sha256="91a7fa5e814e7b1bad4b2dffa8d62c1e55410d5cbdf930714c1997ffb4404db8", platform=True)
DATA_FILE = "gensim/test/test_data/questions-words.txt"
DATA_SHA256 = "8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36"
PER_SECTION = 25
LICENSE = ("Apache-2.0 (Google's word2vec analogy test set, questions-words.txt), as shipped in the LGPL-2.1 PyPI "
           "package gensim 4.4.0")
SOURCE_JSON = "data/datasets/nlp/Google-Word-Analogies/google_word_analogies.json"


def sections(data: bytes) -> list[tuple[str, list[tuple[int, list[str]]]]]:
    """(section name, [(0-based line number, the four words)]) in file order."""
    out: list[tuple[str, list[tuple[int, list[str]]]]] = []
    for number, line in enumerate(data.decode("utf-8").splitlines()):
        if line.startswith(":"):
            out.append((line[1:].strip(), []))
        elif line.strip():
            words = line.split()
            if len(words) != 4 or not out:
                raise SourceMissing(f"{DATA_FILE} line {number + 1} is not four words under a section")
            out[-1][1].append((number, words))
    return out


def build(ctx: BuildContext) -> str:
    data, where = wheel_member(ctx.src_dir, WHEEL, DATA_FILE, DATA_SHA256, label="Word analogies")
    records = []
    names = []
    for section, lines in sections(data):
        names.append(section)
        for number, (a, b, c, d) in lines[:PER_SECTION]:
            records.append({"id": f"analogy-{section}-{number:05d}",
                            "input": {"question": f"{a} is to {b} as {c} is to what?", "category": section},
                            "output": {"answer": d}})
    source = {"registry": "PyPI", "package": WHEEL.package, "version": WHEEL.version, "data_file": DATA_FILE, **where,
              "selection": f"the first {PER_SECTION} questions of each section in file order; ids are "
                           "analogy-<section>-<0-based line number in questions-words.txt>"}
    document = dataset_document(task="Word analogies", type_="comprehension", modality_in=["text"], records=records,
                                license_=LICENSE, source=source)
    fields = {
        "question": field_spec("input.question", modality="text", extent="short", style="instruction",
                               semantics='A word analogy with its last word missing: "A is to B as C is to what?"; '
                                         "the answer is the word that relates to C as B relates to A."),
        "answer": field_spec("output.answer", modality="text", extent="short", style="other",
                             semantics="The missing fourth word of the analogy."),
        "other_aux": field_spec("input.category", modality="text", extent="short", style="other",
                                semantics="The relation the analogy tests, e.g. capital-common-countries, currency, "
                                          "family, gram3-comparative."),
    }
    card_doc = card(
        source_json=SOURCE_JSON, name="Google Word Analogies", modalities=["text"], size=len(records),
        description=('Word analogy questions ("Athens is to Greece as Baghdad is to what?") from Google\'s '
                     "word2vec analogy test set: semantic relations (capitals, currencies, family) and syntactic "
                     "ones (plurals, tenses, comparatives, opposites)."),
        card_text=("The analogy test set of Mikolov et al. (2013), written to evaluate word embeddings: each "
                   "question gives three words a, b, c and asks for the word d such that a is to b as c is to d. "
                   f"This subset keeps the first {PER_SECTION} questions of each of its 14 sections "
                   f"({', '.join(names)}): five semantic sections (capitals of countries, currencies, cities in "
                   "US states, family relations such as boy/girl and brother/sister) and nine syntactic ones "
                   "(adjective to adverb, opposites, comparatives, superlatives, present participles, "
                   "nationality adjectives, past tenses, plural nouns, plural verbs). It evaluates lexical and "
                   "relational reasoning over words: analogy completion. The file is read from the gensim wheel "
                   "(LGPL-2.1); the analogy set itself comes from Google's word2vec (Apache License 2.0)."),
        tasks=["word_analogy", "question_answering", "open_ended_qa"],
        domain="vocabulary and word relations: analogies between words",
        fields=fields,
        structure=("Each sample is an analogy question with its missing word as the answer; the category names the "
                   "relation tested."),
        license_=LICENSE, source=source,
        tags={"task": "Word Analogies", "type": "comprehension", "skill": "Analogical Reasoning",
              "domain": "Lexical Semantics"})
    return write_dataset(ctx, source_json=SOURCE_JSON, document=document, card_doc=card_doc)
