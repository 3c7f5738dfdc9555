"""Transformation plans by rules: from a card's field roles to an ordered list of operators that
name the fields they read and write; a dry run that counts how many real records a plan turns
into sound items. The variants whose media are made from the dataset's text live in
agents.planner.synthesis. Both engines use these: the LLM judges the plans, it does not write their
operators."""
from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from agents.offline.lexical import STOPWORDS
from agents.operators import (
    ItemContext,
    OperatorError,
    RecordFiltered,
    answer_values,
    get_path,
    is_raw_structure,
    normalise,
    plan_apply,
    plan_validate,
    record_read,
)
from agents.operators.distractors import PARAPHRASE_COSINE, record_section
from agents.operators.screen import SourceRejected, screen_record
from agents.tools.embedding import Embedder
from agents.types import CardView, Operator, RecordView, TransformPlan

MIN_COVERAGE = 0.5  # share of a dataset's records the plan must turn into valid items
LABEL_MAX_CLASSES = 30
NEAREST_KEPT = 8  # hard-distractor candidates kept per label
REJECT_ANSWERS = ["none of the above", "all of the above"]
# Answers that name nothing: neither a key worth asking for nor a distractor ("what sit on a couch?" "something").
VAGUE_ANSWERS = frozenset({"something", "nothing", "anything", "everything", "someone", "somebody", "unknown",
                           "n/a", "various"})
_LETTERED_LINE = re.compile(r"^\s*[A-H][.)]\s+\S", re.MULTILINE)


def first_path(card: CardView, role: str, modality: str = "text") -> str | None:
    spec = card.fields.get(role)
    if spec and spec.paths and spec.modality == modality:
        return spec.paths[0]
    return None


def _text_values(records: list[RecordView], path: str) -> list[str]:
    return [v for v in (get_path(r.payload, path) for r in records) if isinstance(v, str)]


def answer_clusters(records: list[RecordView], path: str) -> tuple[list[str], dict[str, int]]:
    """The dataset's distinct answers and their synonym clusters: answers a record accepts together
    are one cluster, and so are a word and its plural."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    bank: dict[str, str] = {}
    for record in records:
        values = answer_values(get_path(record.payload, path))
        folded = [normalise(v) for v in values]
        for value, norm in zip(values, folded, strict=True):
            if norm:
                bank.setdefault(norm, value)
                find(norm)
        for norm in folded[1:]:
            union(folded[0], norm)
    for norm in list(bank):
        for singular in (norm[:-1], norm[:-2]) if norm.endswith("s") else ():
            if singular in bank:
                union(norm, singular)
    roots: dict[str, int] = {}
    clusters = {norm: roots.setdefault(find(norm), len(roots)) for norm in sorted(bank)}
    return [bank[norm] for norm in sorted(bank)], clusters


_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")

# A record field that sorts a dataset into sections its answers belong to ("capital-world" against
# "plural-nouns"): distractors come from the key's own section.
SECTION_NAMES = frozenset({"category", "section", "type", "topic", "subject", "domain", "group", "relation",
                           "language", "lang", "genre", "field", "kind", "class_group", "family", "corpus"})
SECTION_MAX = 60
CONTENT_ROLES = frozenset({"question", "context", "dialog", "options", "answer", "image", "audio"})


def _scalar_paths(payload: Any, prefix: str = "", depth: int = 0) -> dict[str, str]:
    found: dict[str, str] = {}
    if isinstance(payload, dict) and depth < 2:
        for name, value in payload.items():
            path = f"{prefix}{name}"
            if isinstance(value, str):
                found[path] = value
            elif isinstance(value, dict):
                found.update(_scalar_paths(value, f"{path}.", depth + 1))
    return found


def section_fields(records: list[RecordView], card: CardView) -> dict[str, list[str]]:
    """The records' section fields and their values (path -> sorted values): named as one (category,
    topic, language, kind, ...), not the question, passage, options or answer, filled in nearly
    every record, with a few values each shared by several records."""
    content = {p for role, spec in card.fields.items() if role in CONTENT_ROLES for p in spec.paths}
    values: dict[str, list[str]] = {}
    for record in records:
        for path, value in _scalar_paths(record.payload).items():
            if path not in content and path.split(".")[-1].lower() in SECTION_NAMES and value.strip():
                values.setdefault(path, []).append(value.strip())
    return {path: sorted(set(seen)) for path, seen in sorted(values.items())
            if len(seen) >= 0.9 * len(records) and 2 <= len(set(seen)) <= min(SECTION_MAX, len(seen) / 3)}


def answer_sections(records: list[RecordView], card: CardView, answer_path: str) -> tuple[list[str], dict[str, list[str]]]:
    """The records' section fields (section_fields) and each answer's sections (normalised answer ->
    sections); with several fields a section is all of them ("letter / German"). ([], {}) when none."""
    paths = list(section_fields(records, card))
    sections: dict[str, set[str]] = {}
    for record in records if paths else []:
        section = record_section(record.payload, paths)
        if section:
            for value in answer_values(get_path(record.payload, answer_path)):
                sections.setdefault(normalise(value), set()).add(section)
    return paths, {norm: sorted(found) for norm, found in sorted(sections.items())}


def nearest_labels(bank: list[str], clusters: dict[str, int], embedder: Embedder) -> dict[str, list[str]]:
    """For each label, the other labels closest in meaning (MiniLM cosine), outside its synonym cluster."""
    vectors = np.asarray(embedder.embed(bank), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    sims = vectors @ vectors.T
    nearest: dict[str, list[str]] = {}
    for i, label in enumerate(bank):
        own = clusters.get(normalise(label))
        # A synonym ("road" for "street") is a second right answer, not a distractor.
        order = [j for j in np.argsort(-sims[i]) if j != i and clusters.get(normalise(bank[j])) != own
                 and sims[i, j] < PARAPHRASE_COSINE]
        nearest[normalise(label)] = [bank[j] for j in order[:NEAREST_KEPT]]
    return nearest


# Names that say nothing of what a label is: the question then cannot name it either.
_GENERIC_LABEL_WORDS = frozenset("""
    label labels answer answers output outputs target targets class classes value values text gold result response
    category categories data dataset datasets set subset test train validation split sample samples collection
    corpus images image pictures picture photos photo recordings recording audio clips clip folder files file
    upload uploaded questions question items item record records
""".split())


CONTINUATION_QUESTION = "Which reply best continues this conversation?"
MIN_RELATIONS = 0.3  # the share of records whose relation list holds a pair an item can ask about


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def label_noun(card: CardView, answer_path: str, *, items_named: bool = False) -> str:
    """What the label is, in the card's own words, for a question to name: the answer field's name
    when it says ("sentiment", "digit", "genre"); for media items (`items_named`), also the dataset's
    name less the words that name a collection, when it is plain words ("Handwritten digits" ->
    "handwritten digit"; not a proper name such as "Fashion-MNIST"); "" when neither says."""
    field = re.split(r"[._\-\s]+", answer_path.strip().lower())[-1]
    if field.isalpha() and field not in _GENERIC_LABEL_WORDS and len(field) > 2:
        return _singular(field)
    if not items_named:
        return ""
    tokens = [t for t in re.split(r"[\s_-]+", card.name.strip()) if t]  # "handwritten-digits" is two words
    if any(not t.isalpha() or any(c.isupper() for c in t[1:]) for t in tokens):
        return ""  # digits, capitals inside a word (Fashion-MNIST): a proper name, not what the label is
    words = [w.lower() for w in tokens if w.lower() not in _GENERIC_LABEL_WORDS]
    if 1 <= len(words) <= 3 and all(len(w) > 2 for w in words):
        return " ".join([*words[:-1], _singular(words[-1])])
    return ""


def _quoted_in(records: list[RecordView], inner: str, outer: str) -> bool:
    """Whether most records' `inner` text stands whole inside their `outer` text."""
    quoted = sum(1 for r in records if isinstance(get_path(r.payload, inner), str)
                 and isinstance(get_path(r.payload, outer), str) and normalise(get_path(r.payload, inner))
                 and normalise(get_path(r.payload, inner)) in normalise(get_path(r.payload, outer)))
    return quoted >= len(records) * MIN_COVERAGE


_DESCRIBES = re.compile(r"\b(?:describ|nam|denot)(?:e|es|ing)\s+(?:the\s+|a\s+|an\s+)?([a-z]+(?:\s[a-z]+)?)"
                        r"(?=\s+(?:or|and|of|that|which|for)\b|\s*[,.;(])")


def semantics_noun(card: CardView) -> str:
    """What the options or answers are, in the card's own description of them ("adjectives that
    describe character traits or moral evaluations" -> "character trait"); "" when it does not say."""
    for role in ("options", "answer"):
        spec = card.fields.get(role)
        match = _DESCRIBES.search(spec.semantics) if spec and spec.semantics else None
        if match and not set(match.group(1).split()) & _GENERIC_LABEL_WORDS:
            words = match.group(1).split()
            return " ".join([*words[:-1], _singular(words[-1])])
    return ""


def _relation_plan(card: CardView, records: list[RecordView], answer_path: str) -> TransformPlan | None:
    """Records whose answer lists relations between the people of a conversation or passage: each
    item asks how two of them are related (agents.operators.relations); None for other answers."""
    from agents.operators.relations import askable, relations_of

    text_path = first_path(card, "dialog") or first_path(card, "context")
    if not text_path or sum(bool(askable(relations_of(get_path(r.payload, answer_path)))) for r in records) \
            < len(records) * MIN_RELATIONS:
        return None
    ops = [Operator(op="read_text", reads=[record_read(text_path)], writes=["context"],
                    params={"path": text_path, "into": "context"}),
           Operator(op="relation_choices", reads=[record_read(answer_path), "context"],
                    writes=["question", "options", "answer_index", "accepted_answers"], params={"path": answer_path}),
           Operator(op="balance_positions", reads=["options", "answer_index"], writes=["options", "answer_index"])]
    return TransformPlan(template="relation_choices", answer_type="choice", operators=ops)


def design_plan(card: CardView, records: list[RecordView],
                embedder: Embedder | None = None) -> tuple[TransformPlan | None, str]:
    """A transformation plan for this card, or None and the reason it cannot be transformed."""
    answer_path = first_path(card, "answer")
    if not answer_path:
        return None, "the card maps no text answer field"
    relation = _relation_plan(card, records, answer_path)
    if relation is not None:
        return relation, ""
    if card.fields["answer"].style == "structured":
        # Boxes, JSON: as options they differ in form, not in the skill tested.
        return None, f"{answer_path} holds structured output (such as boxes); no offline transform yet"
    raw_answers = [get_path(r.payload, answer_path) for r in records]
    if sum(1 for v in raw_answers if answer_values(v)) < len(records) * MIN_COVERAGE:
        return None, f"{answer_path} is mostly not text (structured output such as boxes); no offline transform yet"

    image_spec, audio_spec = card.fields.get("image"), card.fields.get("audio")
    image_path = (image_spec.paths[0] if image_spec and image_spec.paths else None) or first_path(card, "context", "image")
    audio_path = (audio_spec.paths[0] if audio_spec and audio_spec.paths else None) or first_path(card, "context", "audio")
    question_path = first_path(card, "question")
    options_path = first_path(card, "options")
    context_spec = card.fields.get("context")
    context_path = first_path(card, "context")
    dialog_path = first_path(card, "dialog")
    if context_path in (question_path, options_path):
        context_path = None
    if context_path and question_path and context_spec and context_spec.style == "instruction":
        context_path = None  # a generic instruction next to a real question adds nothing
    if context_path and question_path and _quoted_in(records, context_path, question_path):
        context_path = None  # the question already quotes it ('Which word does this clue describe: "..."?')
    ops: list[Operator] = []
    question_from_template = False
    if question_path:
        ops.append(Operator(op="read_text", reads=[record_read(question_path)], writes=["question"],
                            params={"path": question_path, "into": "question"}))
    elif context_path and context_spec and context_spec.style == "instruction":
        ops.append(Operator(op="read_text", reads=[record_read(context_path)], writes=["question"],
                            params={"path": context_path, "into": "question"}))
        context_path = None
    else:
        question_from_template = True
    context_source = context_path or dialog_path
    if context_source:
        ops.append(Operator(op="read_text", reads=[record_read(context_source)], writes=["context"],
                            params={"path": context_source, "into": "context"}))
    if question_from_template:
        contexts = _text_values(records, context_source) if context_source else []
        if not context_source and not (image_path or audio_path):
            return None, "the card maps neither a question, a context nor media to ask about"
        noun = label_noun(card, answer_path, items_named=not context_source) or semantics_noun(card)
        if not context_source:
            # A labelled image or recording with no question of its own (an image or audio folder):
            # the question names what the label is (the card's words), or says it is a label.
            text = ((f"Which {noun} does the image show?" if noun else "Which of these labels fits the image?")
                    if image_path else (f"Which {noun} is heard in the recording?" if noun
                                        else "Which of these labels fits the recording?"))
        elif contexts and sum("<MASK>" in c for c in contexts) >= len(contexts) * MIN_COVERAGE:
            text = "Which expression best fills <MASK> in the text above?"
        elif context_source == dialog_path:
            text = CONTINUATION_QUESTION
        else:
            text = (f"What is the {noun} of the text above?" if noun and noun == label_noun(card, answer_path) else
                    f"Which {noun} fits the text above?" if noun else "Which of these labels fits the text above?")
        ops.append(Operator(op="set_text", writes=["question"], params={"into": "question", "text": text}))
    questions = _text_values(records, question_path) if question_path else []
    if any("<<<" in q for q in questions):
        ops.append(Operator(op="strip_placeholder", reads=["question"], writes=["question"],
                            params={"field": "question"}))

    answer_type = "choice"
    if options_path and options_path != question_path:
        template = "source_options"
        ops += [Operator(op="options_from_list", reads=[record_read(options_path)], writes=["options"], params={"path": options_path}),
                Operator(op="answer_from_letter", reads=[record_read(answer_path), "options"], writes=["answer_index", "accepted_answers"],
                         params={"path": answer_path})]
    elif options_path and options_path == question_path:
        template = "embedded_choices"
        ops += [Operator(op="options_from_embedded_list", reads=["question"], writes=["options", "question"]),
                Operator(op="answer_text", reads=[record_read(answer_path)], writes=["accepted_answers"],
                         params={"path": answer_path, "reject_answers": REJECT_ANSWERS}),
                Operator(op="answer_match_option", reads=["accepted_answers", "options"], writes=["answer_index"])]
    elif questions and sum(len(_LETTERED_LINE.findall(q)) >= 2 for q in questions) >= len(questions) * MIN_COVERAGE:
        template = "lettered_options"
        ops += [Operator(op="options_from_lettered_lines", reads=["question"], writes=["options", "question"]),
                Operator(op="answer_from_letter", reads=[record_read(answer_path), "options"], writes=["answer_index", "accepted_answers"],
                         params={"path": answer_path})]
    else:
        bank, clusters = answer_clusters(records, answer_path)
        classes = len(set(clusters.values()))
        if classes < 2:
            return None, "every record has the same answer; no distractors to draw"
        is_label = classes <= LABEL_MAX_CLASSES and classes <= len(records) / 2
        # In free-text answers a function word ("are", "other") is noise: neither an answer worth
        # asking for nor a distractor. In a closed label set ("BEFORE", "AFTER") it is a label. A
        # vague answer ("something") is noise in both.
        noise = [value for value in bank if normalise(value) in VAGUE_ANSWERS
                 or (not is_label and normalise(value) in STOPWORDS)]
        bank = [value for value in bank if value not in noise]
        template = "label_choices" if is_label else "answer_bank_choices"
        if classes == 2:
            answer_type = "binary"
        distractor_params: dict[str, Any] = {"bank": bank, "clusters": clusters, "k": min(3, classes - 1),
                                             "extractive": not is_label}  # a label is never a quote
        if any(op.params.get("text") == CONTINUATION_QUESTION for op in ops):
            distractor_params["continuation"] = True  # wrong replies that do not fit the talk as well
        # Labels nearest in meaning make hard distractors; numbers nearest in meaning are the adjacent
        # ones (3 -> 2, 4), which gather the options round the key: a number's distractors are drawn
        # evenly from the other labels.
        if is_label and embedder is not None and classes > 4 and not all(_NUMBER.fullmatch(v.strip()) for v in bank):
            distractor_params["nearest"] = nearest_labels(bank, clusters, embedder)
        section_paths, sections = answer_sections(records, card, answer_path)
        if sections:
            banked = {normalise(v) for v in bank}
            distractor_params.update(section_paths=section_paths,
                                     sections={norm: found for norm, found in sections.items() if norm in banked})
        ops += [Operator(op="answer_text", reads=[record_read(answer_path)], writes=["accepted_answers"],
                         params={"path": answer_path, "reject_answers": REJECT_ANSWERS + noise}),
                Operator(op="distractors_from_bank", reads=["accepted_answers"], writes=["options", "answer_index"],
                         params=distractor_params)]
    ops.append(Operator(op="balance_positions", reads=["options", "answer_index"], writes=["options", "answer_index"]))
    for media_path in (image_path, audio_path):
        if media_path:
            ops.append(Operator(op="attach_media", reads=[record_read(media_path)], writes=["media"], params={"path": media_path}))
    plan = TransformPlan(template=template, answer_type=answer_type, operators=ops)  # type: ignore[arg-type]
    problems = plan_validate(plan, card)
    if problems:
        return None, "; ".join(problems)
    return plan, ""


SCREEN_MEDIA_RECORDS = 60  # records whose files a dry run screens (decoding every file would be slow)


def _screen_reason(message: str) -> str:
    """A screen failure without the file's name or the figures, so that failures of one kind count together."""
    message = re.sub(r"^(image|audio) \S+ ", r"\1 ", message)
    return re.sub(r"'[^']*'", "'…'", message.split(" (")[0])


@dataclass
class DryRun:
    usable: int
    checked: int  # records the plan was tried on, less those filtered out on purpose
    failures: Counter[str]
    examples: list[dict[str, Any]]  # the first items the plan made, for a judge to read
    filtered: int = 0  # records outside what the request asks (RecordFiltered): no failure of the plan

    @property
    def coverage(self) -> float:
        return self.usable / self.checked if self.checked else 0.0


def dry_run(plan: TransformPlan, records: list[RecordView], *, examples: int = 2) -> DryRun:
    """How many of the records the plan turns into a sound item, and why the others fail. Speech is
    not synthesised here: the spoken step checks the text it would speak."""
    usable = unscreened = 0
    failures: Counter[str] = Counter()
    made: list[dict[str, Any]] = []
    media_failed = filtered = 0
    for ordinal, record in enumerate(records):
        try:
            # The source screen as the executor runs it; files are opened for the first records only.
            record = screen_record(plan, record, media=ordinal < SCREEN_MEDIA_RECORDS).record
            draft = plan_apply(plan, record, ItemContext(seed=0, item_key=record.source_id, ordinal=ordinal,
                                                         dry_run=True))
        except RecordFiltered:
            filtered += 1
            continue
        except SourceRejected as exc:
            reason = _screen_reason(str(exc))
            failures[reason] += 1
            media_failed += reason.startswith(("image ", "audio "))
            continue
        except OperatorError as exc:
            failures[re.sub(r"'[^']*'", "'…'", str(exc))] += 1
            continue
        folded = [normalise(o) for o in draft["options"]]
        if len(set(folded)) != len(folded):
            failures["two options are the same"] += 1
        elif any(is_raw_structure(o) for o in draft["options"]):
            failures["its options are raw structured data (JSON), not answers a person reads"] += 1
        elif any(not os.path.isfile(m.abs_path) for m in draft["media"]):
            failures["media file missing"] += 1
        else:
            usable += 1
            unscreened += ordinal >= SCREEN_MEDIA_RECORDS
            if len(made) < examples:
                made.append({"source_id": record.source_id, "question": draft["question"],
                             "context": draft["context"][:600], "options": draft["options"],
                             "answer": draft["options"][draft["answer_index"]],
                             "spoken_turns": len(draft.get("speech", []))})
    if media_failed and unscreened:
        # The files past the first records were not opened: as many of them fail as of those screened.
        share = media_failed / min(len(records), SCREEN_MEDIA_RECORDS)
        estimated = round(unscreened * share)
        usable -= estimated
        failures["media failing the source screen (estimated from the first records)"] += estimated
    return DryRun(usable=usable, checked=len(records) - filtered, failures=failures, examples=made, filtered=filtered)
