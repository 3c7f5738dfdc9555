"""Distractors an expert accepts: of the key's type and section, close to it in meaning, never a
second right answer.

`distractors_from_bank` draws a key's distractors from the dataset's other answers (the bank, read
from a seeded sample over the whole dataset, not its first records). Every candidate is ranked:

1. by how far its kind is from the key's (`answer_kind`): number or text, date or time, script,
   case (a proper name or a common word), length; and by section, where the dataset has one (the
   analogies' "capital-world" against "plural-nouns"): a city is never offered among flowers while
   same-kind candidates remain;
2. then by closeness in meaning to the key: labels nearest the key (precomputed by the planner),
   or the packaged embedding model at item time (ItemContext.tools.closeness), so the options
   look alike and the odd one out is not the key. Numbers are not ranked by meaning (the options
   would gather round the key); they are matched by magnitude.

A candidate is never in the key's synonym cluster (answers some record accepts together), never
a paraphrase of it (cosine at least PARAPHRASE_COSINE, or the key's words inside it or its words
inside the key: "quarter" beside "quarter past"), and no two distractors share a cluster. Where
the key is a duration the item's text does not state, no candidate within a factor of three of it
("about 20 minutes" and "around 25 minutes" both fit "it's only <MASK> walking").
"""
from __future__ import annotations

import os
import re
import unicodedata
from functools import lru_cache
from typing import Any

from agents.operators import (
    Draft,
    ItemContext,
    OperatorError,
    RecordFiltered,
    get_path,
    has_blank,
    normalise,
    operator,
)
from agents.tools.screen import is_word
from agents.types import RecordView

# MiniLM: synonyms "road"/"street" 0.80, "sofa"/"couch" 0.86, "car"/"automobile" 0.86; kin that make
# good distractors "Greece"/"Serbia" 0.65, "B"/"D" 0.69, "peach"/"mango" 0.58. Another form of the
# key's own word ("swims"/"swimming" 0.86) is no synonym: the relation asked tells them apart.
PARAPHRASE_COSINE = 0.75
CANDIDATES_RANKED = 400  # a seeded sample of the bank is ranked per item
# What a mismatch costs: a number among words, or another script, is never acceptable while a
# same-kind candidate remains; a section or a length class weighs less; case least.
_WEIGHTS = {"form": 16, "script": 16, "section": 8, "lead": 6, "length_band": 3, "length": 2, "plural": 2, "numeral": 2,
            "case": 1}
LENGTH_BAND = 2.0  # a distractor within this factor of the key's length, either way
_KIND_FEATURES = ("form", "script", "lead", "length", "plural", "numeral", "case")
# How a phrase answer opens says what it answers: a reason ("because ...", "to ..."), a means ("through
# ..."), a time, a place, a yes or no, or a clause about someone ("he defines it as surreal"). A
# "why" key among noun phrases is the one option that answers "why".
_LEADS = (("polar", r"yes|no|not really|not|never|of course|absolutely"),
          ("reason", r"because|since|as|due to|owing to|in order to|so that|so as to|to"),
          ("means", r"by|through|via|using|with"),
          ("time", r"when|after|before|during|while|until"),
          ("place", r"in|at|on|near|inside|outside|from|into"),
          ("clause", r"he|she|they|i|we|you|people|the author"))
_LEADS_RE = {name: re.compile(rf"^(?:{words})\b", re.IGNORECASE) for name, words in _LEADS}

_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?%?")
_TIME = re.compile(r"^\d{1,2}[:.]\d{2}(\s*[ap]\.?m\.?)?$|\bo'?clock\b|^(half|quarter)\b", re.IGNORECASE)
_MONTHS = ("january february march april may june july august september october november december "
           "jan feb mar apr jun jul aug sep sept oct nov dec").split()
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}/\d{1,2}/\d{2,4}$|^(1[0-9]|20)\d{2}s?$|\b(" + "|".join(_MONTHS)
                   + r")\b", re.IGNORECASE)


def _script(text: str) -> str:
    """The script most of the text's letters are written in (LATIN, CYRILLIC, CJK, ...)."""
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "OTHER").split()[0]
            counts[name] = counts.get(name, 0) + 1
    return max(counts, key=counts.get) if counts else "NONE"


_NUMBER_WORDS = frozenset("""zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
    thousand million billion dozen""".split())


def answer_kind(text: str) -> dict[str, str]:
    """What kind of answer a text is, in the features distractors must share with their key."""
    text = " ".join(str(text).split())
    if text and all(w in _NUMBER_WORDS for w in re.split(r"[\s-]+", text.lower())):
        return {"form": "number word", "script": "NONE", "case": "", "length": "words", "plural": "", "lead": "",
                "numeral": "words"}
    if _NUMBER.fullmatch(text.replace(",", "")) or _NUMBER.fullmatch(text):
        digits = len(re.sub(r"\D", "", text.split(".")[0]))
        return {"form": "number", "script": "NONE", "case": "", "length": f"{min(digits, 4)} digits", "plural": "",
                "lead": "", "numeral": "digits"}
    form = "time" if _TIME.search(text) else "date" if _DATE.search(text) else "text"
    words = text.split()
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        case = ""
    elif len(letters) > 1 and all(ch.isupper() for ch in letters):
        case = "upper"
    elif all(w[0].isupper() for w in words if w[0].isalpha()):
        case = "proper"
    else:
        case = "lower"
    if len(words) == 1:
        length = "1 char" if len(text) == 1 else "word"
    else:
        length = "2-3 words" if len(words) <= 3 else "4-8 words" if len(words) <= 8 else "sentence"
    # A lead only where the phrase goes on after it: "To" or "Yes" alone is a label, not a kind.
    lead = next((name for name, pattern in _LEADS_RE.items() if len(words) > 1 and pattern.match(text)), "")
    # A count in digits among counts in words ("3 days" beside "two weeks") stands out.
    numeral = "digits" if re.search(r"\d", text) else "words" if any(
        w.lower().strip(",.") in _NUMBER_WORDS for w in words) else ""
    return {"form": form, "script": _script(text), "case": case, "length": length, "plural": _plural(words),
            "lead": lead, "numeral": numeral}


def _plural(words: list[str]) -> str:
    """Whether a common noun phrase is plural ("cupboards": a plural clue gets plural options), as
    far as an English dictionary tells from its last word; "" when it cannot tell."""
    if not words or not words[-1].isalpha() or not words[-1].islower():
        return ""
    from agents.tools.screen import is_word

    last = words[-1]
    if last.endswith(("ss", "us", "is")) or not last.endswith("s") or len(last) < 4:
        return "no" if is_word(last) else ""
    singular = last[:-3] + "y" if last.endswith("ies") else last[:-2] if last.endswith("es") and is_word(last[:-2]) else last[:-1]
    return "yes" if is_word(singular) else ""


def record_section(payload: Any, paths: list[str]) -> str:
    """A record's section: its section fields' values, joined ("letter / German"); "" when one is missing."""
    parts = [get_path(payload, path) for path in paths]
    if not parts or not all(isinstance(part, str) and part.strip() for part in parts):
        return ""
    return " / ".join(part.strip() for part in parts)


def kind_distance(key: dict[str, str], other: dict[str, str]) -> int:
    return sum(_WEIGHTS[feature] for feature in _KIND_FEATURES if key[feature] != other[feature])


_SUFFIXES = ("ing", "ed", "es", "s", "er", "est", "ly")
ROOT_PREFIX = 6  # two words starting alike for this long share a root ("chemist", "chemistry")


def stem(word: str) -> str:
    """A word's root, roughly: its inflection off ("decreases" -> "decreas", "swimming" -> "swim")."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


def shares_root(a: str, b: str) -> bool:
    sa, sb = stem(a), stem(b)
    if sa == sb:
        return True
    common = 0
    for x, y in zip(sa, sb):
        if x != y:
            break
        common += 1
    return common >= ROOT_PREFIX or (min(len(sa), len(sb)) >= 5 and (sa.startswith(sb) or sb.startswith(sa)))


def content_words(text: str) -> list[str]:
    from agents.offline.lexical import STOPWORDS

    return [w for w in re.findall(r"[a-z]+", str(text).lower()) if len(w) >= 3 and w not in STOPWORDS]


_AGENT_SUFFIXES = ("ist", "ian", "eer", "er", "or")  # who does or studies it: "scientist", "musician"
AGENT_BASE_MIN = 4


def _built_on(word: str, asked: str) -> bool:
    """The option's word is made of the question's: a compound of it and another word ("shellfish"
    for "... has a shell") or the one who does it ("scientist" for "... of science", "pianist" for
    "piano")."""
    if len(asked) >= 4 and word != asked:
        rest = word[len(asked):] if word.startswith(asked) else word[: -len(asked)] if word.endswith(asked) else ""
        if len(rest) >= 3 and is_word(rest):
            return True
    for suffix in _AGENT_SUFFIXES:
        base = word[: -len(suffix)]
        if word.endswith(suffix) and len(base) >= AGENT_BASE_MIN:
            common = len(os.path.commonprefix([base, asked]))
            return common >= max(AGENT_BASE_MIN, len(base) - 1)
    return False


def root_shown(option: str, question: str) -> str:
    """A word of the option whose root a word of the question shares ("cats" in "... as cat is to
    what?"), or that is built on a word of the question ("shellfish", "scientist"); "" when none is.
    Names in the question (capitalised past its first word: "How would Nate feel?") are whom it is
    about, not a root of the answer."""
    words = re.findall(r"[A-Za-z]+", str(question))
    asked = [w for w in content_words(" ".join(w for i, w in enumerate(words) if i == 0 or not w[:1].isupper()))]
    return next((w for w in content_words(option) if any(shares_root(w, q) or _built_on(w, q) for q in asked)), "")


def is_paraphrase(key: str, other: str) -> bool:
    """The same answer in other words, as far as words tell: one's words make up a run of the other's."""
    # Abbreviations are one word: "U.S." is not inside "U.S.S.R.".
    a, b = (_OPENING_WORDS.sub("", normalise(re.sub(r"(?<=\w)\.(?=\w)", "", text))) for text in (key, other))
    if not a or not b:
        return False
    return f" {a} " in f" {b} " or f" {b} " in f" {a} "


# Words that open an answer without changing it: "the universal access to treatment" and "in order to
# ensure universal access to treatment" give one reason.
_OPENING_WORDS = re.compile(r"^(?:(?:the|a|an|to|in order to|so as to|so that|because of|because|due to|for|by)\s+)+")


PASSAGE_SPAN_MAX_WORDS = 3  # longer keys are not looked for as spans of their passage


def passage_spans(passage: str, answer: str, accepted: list[str]) -> list[str]:
    """When the key is a span of the passage (extractive reading): the passage's other spans of the
    key's kind and about its length, that neither start nor end with a function word and overlap no
    accepted answer; [] when the key is not in the passage or is longer than a phrase."""
    from agents.offline.lexical import STOPWORDS

    key_words = normalise(answer).split()
    if not key_words or len(key_words) > PASSAGE_SPAN_MAX_WORDS:
        return []
    # The key as the passage writes it, case and all: a label ("BEFORE") is no quote of "before".
    if not re.search(rf"(?<!\w){re.escape(' '.join(answer.split()))}(?!\w)", " ".join(passage.split())):
        return []
    banned = {w for a in accepted for w in normalise(a).split()}
    key_kind = answer_kind(answer)
    spans: dict[str, None] = {}
    # Spans never cross punctuation, and a capitalised first word of a sentence is no name.
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", passage):
        for segment_index, segment in enumerate(re.split(r"[,;:()\"“”]+", sentence)):
            words = re.findall(r"[\w'’-]+", segment)
            for size in sorted({max(1, len(key_words) - 1), len(key_words), len(key_words) + 1}):
                for start in range(len(words) - size + 1):
                    if start == 0 and segment_index == 0 and key_kind["case"] == "proper":
                        continue
                    span = words[start:start + size]
                    lowered = [w.lower() for w in span]
                    if (lowered[0] in STOPWORDS or lowered[-1] in STOPWORDS
                            or banned & set(normalise(" ".join(span)).split())):
                        continue
                    text = " ".join(span)
                    kind = answer_kind(text)
                    if kind["form"] == key_kind["form"] and kind["case"] == key_kind["case"]:
                        spans.setdefault(text, None)
    return list(spans)


def _closeness(answer: str, candidates: list[str], params: dict[str, Any], ctx: ItemContext) -> dict[str, float]:
    """How close each candidate is to the key in meaning (higher is closer); empty when nothing tells."""
    nearest: list[str] = (params.get("nearest") or {}).get(normalise(answer), [])
    if nearest:
        return {v: float(len(nearest) - i) for i, v in enumerate(nearest)}
    tools = ctx.tools
    if params.get("by_meaning", True) is False or tools is None or not hasattr(tools, "closeness"):
        return {}
    return tools.closeness(answer, candidates)


_UNIT_SECONDS = {"second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600, "day": 86400,
                 "night": 86400, "week": 604800, "fortnight": 1209600, "month": 2629800, "year": 31557600,
                 "yr": 31557600, "decade": 315576000, "century": 3155760000}
_COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
                "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100,
                "half": 0.5, "couple": 2, "few": 3, "several": 5, "dozen": 12}
_DURATION = re.compile(
    r"^(?:(?:about|around|roughly|approximately|almost|nearly|over|under|only|just|more than|less than|at least|"
    r"at most|the|a couple of|a few|some)\s+)*(?P<count>\d+(?:[.,]\d+)?|[a-z]+(?:-[a-z]+)?)?[\s-]*"
    r"(?:(?:more|extra|whole|full)\s+)?"
    r"(?P<unit>centur(?:y|ies)|decades?|years?|yrs?|months?|fortnights?|weeks?|days?|nights?|hours?|hrs?|"
    r"minutes?|mins?|seconds?|secs?)(?:[\s-]+(?P<after>ago|later|long|old|before|after|earlier|more))?$",
    re.IGNORECASE)
SAME_DURATION_RATIO = 1.25  # two durations closer than this are one value in two wordings
DURATION_CLOSE_RATIO = 3.0  # a duration within this factor of the key's (either way) is as plausible as the key


def duration_seconds(text: str) -> float | None:
    """How long a duration answer is ("about 20 minutes", "seven-day", "two years ago"), in seconds;
    None for anything else (a time of day, a number, a word)."""
    match = _DURATION.match(" ".join(str(text).lower().split()))
    if match is None or not (match["count"] or match["after"]):
        return None  # a bare unit ("day" beside "night") is a label, not a duration
    unit = match["unit"].lower()
    unit = "century" if unit.startswith("centur") else unit.rstrip("s")
    count_text = (match["count"] or "1").replace(",", ".")
    try:
        count = float(count_text)
    except ValueError:
        parts = [_COUNT_WORDS.get(part) for part in count_text.split("-")]  # "twenty-five"
        count = sum(parts) if all(parts) else None
    seconds = _UNIT_SECONDS.get(unit)
    return count * seconds if count and seconds else None


def _as_plausible(key_seconds: float, value: str) -> bool:
    """A duration a few times longer or shorter than the key's: where the text does not state how
    long, it fits the blank as well as the key does ("almost two years" and "almost three years")."""
    other = duration_seconds(value)
    return other is not None and max(other, key_seconds) / min(other, key_seconds) <= DURATION_CLOSE_RATIO


def _same_duration(a: str, b: str) -> bool:
    """One duration in two wordings ("nearly three minutes", "about 3 minutes"): one option, not two."""
    first, second = duration_seconds(a), duration_seconds(b)
    return first is not None and second is not None and max(first, second) / min(first, second) < SAME_DURATION_RATIO


PASSAGE_MIN_WORDS = 40  # a context this long is a passage the question is about
SUPPORT_MIN_SHARE = 0.5  # of the key's content words, the share the passage must hold (by root)


def unsupported_by_passage(answer: str, context: str) -> str:
    """Why the passage shown cannot answer the question, when a free-text key's words are mostly not in
    it ("30,000 hours" asked of a summary that never says how long): "" when it can, or when there
    is no passage to judge by."""
    words = content_words(answer)
    passage = content_words(context)
    if not words or len(passage) < PASSAGE_MIN_WORDS:
        return ""
    roots = {stem(w) for w in passage}
    found = [w for w in words if stem(w) in roots or w in context.lower()]
    if len(found) >= SUPPORT_MIN_SHARE * len(words):
        return ""
    missing = [w for w in words if w not in found]
    return (f"the passage shown holds too few of the answer's words ({', '.join(missing[:4])} missing): "
            "the question cannot be answered from it")


CONTINUATION_MIN_WORDS = 3  # a reply with fewer content words ("Thanks a lot.") fits many conversations
CONTINUATION_MAX_COSINE = 0.5  # a reply this close to the key in meaning may continue the talk as well


def _continuation_candidates(answer: str, candidates: list[str], context: str, ctx: ItemContext) -> list[str]:
    """Wrong replies for "which reply continues this conversation": each says something of its own
    (not a formula that fits anywhere), is far from the key in meaning and answers the last turn less
    well than the key does (the packaged embedding model), so the key is the one reply that fits."""
    if len(content_words(answer)) < CONTINUATION_MIN_WORDS:
        raise RecordFiltered(f"its reply {answer!r} is a formula that would continue many conversations")
    candidates = [v for v in candidates if len(content_words(v)) >= CONTINUATION_MIN_WORDS]
    tools = ctx.tools
    if tools is None or not hasattr(tools, "closeness") or not candidates:
        return candidates
    to_key = tools.closeness(answer, candidates)
    turns = [line.split(":", 1)[-1].strip() for line in context.strip().splitlines() if line.strip()]
    fit = tools.closeness(turns[-1], [answer, *candidates]) if turns else {}
    return [v for v in candidates if to_key.get(v, 0.0) < CONTINUATION_MAX_COSINE
            and (not fit or fit[v] < fit[answer])]


@operator("distractors_from_bank")
def _distractors_from_bank(draft: Draft, record: RecordView, params: dict[str, Any], ctx: ItemContext) -> None:
    """Options: the answer and k distractors from the dataset's other answers, matched to the key's
    kind and section and close to it in meaning (the module's docstring says how)."""
    accepted = draft.get("accepted_answers") or []
    if not accepted:
        raise OperatorError("no answer to build options around")
    clusters: dict[str, int] = params["clusters"]
    sections: dict[str, list[str]] = params.get("sections") or {}
    k = int(params.get("k", 3))
    answer = accepted[0]
    taken = {clusters.get(normalise(a), -1 - i) for i, a in enumerate(accepted)}
    taken_norm = {normalise(a) for a in accepted}
    candidates = [v for v in params["bank"] if normalise(v) not in taken_norm
                  and not any(is_paraphrase(a, v) for a in accepted)]
    ctx.rng.shuffle(candidates)
    candidates = candidates[:CANDIDATES_RANKED]
    # A cloze passage's blank is the question, not a quote to echo (the answer written elsewhere in it is a leak).
    extractive = params.get("extractive", True) and not has_blank(draft.get("context", ""))
    quoted = passage_spans(draft.get("context", ""), answer, accepted) if extractive else []
    if extractive and not quoted and not params.get("continuation"):  # the next reply is not in the talk so far
        problem = unsupported_by_passage(answer, draft.get("context", ""))
        if problem:
            raise OperatorError(problem)
    if len(quoted) >= k:
        # Extractive reading: the key stands in the passage, so its distractors do too (spans of the
        # passage of the key's kind): the option that appears in the passage is not the giveaway.
        candidates = quoted
    elif params.get("continuation"):
        candidates = _continuation_candidates(answer, candidates, draft.get("context", ""), ctx)
    elif (key_seconds := duration_seconds(answer)) is not None:
        # A duration the text does not state: a close one is a second right answer, not a distractor.
        candidates = [v for v in candidates if not _as_plausible(key_seconds, v)]
    # The key's section is its record's (an "A" is a letter of several alphabets); a candidate is in
    # it when some record gives the candidate as its answer in that section.
    section = record_section(record.payload, params.get("section_paths") or [])
    key_kind = answer_kind(answer)

    def distance_of(value: str) -> int:
        others = sections.get(normalise(value))
        outside = bool(section and others is not None and section not in others)
        # Far shorter or longer than the key: the key would stand out by its length (verify's check).
        far = not (len(answer) <= LENGTH_BAND * len(value) and len(value) <= LENGTH_BAND * len(answer))
        return (kind_distance(key_kind, answer_kind(value)) + (_WEIGHTS["section"] if outside else 0)
                + (_WEIGHTS["length_band"] if far else 0))

    distance = {v: distance_of(v) for v in candidates}
    if root_shown(answer, draft.get("question", "")):
        # The key shares a root with the question ("cat" ... "cats"): so do the distractors where the
        # bank has such ("swims" beside "swimming"), or the root alone would give the key away.
        for value in candidates:
            if not root_shown(value, draft.get("question", "")):
                distance[value] += _WEIGHTS["section"] + 1  # a root matters more than a section here
    close = _closeness(answer, candidates, params, ctx) if key_kind["form"] != "number" else {}
    if close and not params.get("nearest"):
        # Equally correct in other words: too close in meaning to be wrong.
        candidates = [v for v in candidates if close.get(v, 0.0) < PARAPHRASE_COSINE
                      or any(shares_root(a, b) for a in content_words(answer) for b in content_words(v))]
    question = draft.get("question", "")
    if params.get("extractive", True) and question.strip():
        # A word of the question as a wrong option ("person" for "What is the person holding?") is
        # no answer to it, and it hides a key the text gives away (the leak check sees a listed option).
        asked = f" {normalise(question)} "
        candidates = [v for v in candidates if len(normalise(v)) < 3 or f" {normalise(v)} " not in asked]
    if close and params.get("extractive", True) and not params.get("nearest") and question.strip():
        # A free-text answer: a wrong option must also be about what the question asks (an answer to
        # another document's question stands out), so closeness to the question weighs as much.
        about = ctx.tools.closeness(question, candidates) if hasattr(ctx.tools, "closeness") else {}
        if about:
            close = {v: (close.get(v, 0.0) + about.get(v, 0.0)) / 2 for v in candidates}
    # Kind first; then, among the closest few of the best kind, a seeded pick (hard, not always the same).
    candidates.sort(key=lambda v: (distance[v], -close.get(v, 0.0)))
    best = distance[candidates[0]] if candidates else 0
    pool = [v for v in candidates if distance[v] == best][: 2 * k] if close else []
    ctx.rng.shuffle(pool)
    rank = {v: i for i, v in enumerate(pool)}
    candidates.sort(key=lambda v: (distance[v], rank.get(v, len(pool))))
    chosen: list[str] = []
    for value in candidates:
        cluster = clusters.get(normalise(value), f"own:{normalise(value)}")  # a passage span is its own cluster
        if cluster in taken or any(is_paraphrase(value, c) or _same_duration(value, c) for c in chosen):
            continue
        chosen.append(value)
        taken.add(cluster)
        if len(chosen) == k:
            break
    if len(chosen) < params.get("min_distractors", 1):
        raise OperatorError("the dataset has too few other answers to make distractors")
    draft["options"] = [answer, *chosen]
    draft["answer_index"] = 0
    if not params.get("extractive", True):
        # The dataset's whole label set ("all_labels" when the plan keeps some): what a question may list.
        labels = params.get("all_labels") or params["bank"]
        question, listed = relist_options(draft.get("question", ""), labels, draft["options"])
        if listed:
            draft["question"] = question
            draft.setdefault("repairs", []).append(f"question: listed {listed!r}; the options are listed instead")


LIST_MIN_LABELS = 3


@lru_cache(maxsize=64)
def _label_patterns(names: tuple[str, ...]) -> tuple[re.Pattern, re.Pattern]:
    """One label of the set, and a list of them ("a, b or c"): compiled once per label set, not per item."""
    one = "(?:" + "|".join(re.escape(n) for n in names) + ")"
    return (re.compile(rf"(?<![\w-]){one}(?![\w-])", re.IGNORECASE),
            re.compile(rf"(?<![\w-]){one}(?:\s*,\s*(?:(?:or|and)\s+)?{one}|\s+(?:or|and)\s+{one})+(?![\w-])",
                       re.IGNORECASE))


def relist_options(question: str, labels: list[str], options: list[str]) -> tuple[str, str]:
    """The question with a list of the dataset's labels it carries ("positive, negative or neutral";
    "AFTER, BEFORE, BEGINS, ...") replaced by the item's own options, when they differ: a question
    must not offer answers its options do not have. Returns (question, the list replaced or "")."""
    names = tuple(sorted({label.strip() for label in labels if label.strip()}, key=len, reverse=True))
    if len(names) < LIST_MIN_LABELS or not question:
        return question, ""
    label, listing = _label_patterns(names)
    shown = {normalise(o) for o in options}
    for match in listing.finditer(question):
        listed = label.findall(match.group(0))
        if len(listed) < LIST_MIN_LABELS or {normalise(x) for x in listed} == shown:
            continue
        # In the list's own order and words ("positive, negative or neutral" -> "positive or negative").
        ordered = list(dict.fromkeys(x for x in listed if normalise(x) in shown))
        named = {normalise(x) for x in ordered}
        ordered += [o for o in options if normalise(o) not in named]
        words = ", ".join(ordered[:-1]) + f" or {ordered[-1]}" if len(ordered) > 1 else ordered[0]
        return question[:match.start()] + words + question[match.end():], match.group(0)
    return question, ""
