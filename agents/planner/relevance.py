"""Relevance: what a card is judged against when grounding a subtask, and how.

The intents are the request itself, the request's own words for each skill it asks (its sentences,
or its clauses when it asks several), and the skill's name (which counts only when the request's
words find no card). A route that makes its medium from text judges text cards without the words
naming that medium; no route expects a card to name a robustness condition. A request that names
no topic beyond its asks is served, for a skill of form, by any card of the right shape."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agents.planner.variants import READING_CAPABILITIES
from agents.types import Ask, PoolHit, SubtaskDraft

# The absolute relevance a card needs to serve a subtask, measured by `bench/grounding_quality.py`
# on bench/data/grounding_pairs.json (124 labelled request/dataset pairs over the seed and starter
# pools, 33 of which fit): at 0.40 the hybrid relevance keeps 30 of the 33 fits and lets 3 of the 91
# others through (precision 0.909, recall 0.909; the best F1 from 0.10 to 0.89; 0.38 lets 4 through,
# 0.42 misses 6). A pool without embeddings scores coverage alone: at 0.45 precision 0.879, recall
# 0.879 (`--lexical`; 0.43 lets 5 through, 0.47 misses 5). tests/agents/test_grounding_quality.py
# holds these figures.
RELEVANCE_FLOOR = 0.40
RELEVANCE_FLOOR_LEXICAL = 0.45
# Words that name the medium an item is shown in, or the act of taking it in (reading printed
# text). A synthesis route makes that medium from text (a passage rendered as a page, a dialogue
# spoken, a question read aloud), so its text cards are judged on the rest of the request: "read a
# news page shown as a scanned image" asks a news passage about news.
MEDIUM_WORDS = frozenset("""
    image images picture pictures photo photos photograph photographs scan scans scanned screenshot screenshots
    page pages document documents shown showing visual vision render rendered
    audio speech spoken speak speaking speaker speakers voice voices listen listening listener recording recordings
    sound sounds aloud heard hear oral
    read reads reading printed print typed typeset ocr text texts written
""".split())
# Words that name a robustness condition: operators apply it to any dataset's media, so no card is
# expected to say it and relevance is judged without them.
CONDITION_WORDS = frozenset("""
    blur blurry blurred blurring occluded occlusion occlusions noisy noise jpeg compressed compression artifacts
    artefacts pixelated downscaled low-resolution degraded corrupted grainy robust robustness extreme extremely
    severe severely heavy heavily mild mildly slight slightly
""".split())
# Intents in a skill's own name are keyed with this prefix; they count only when the request's own
# words find no card, and then for a card whose relevance to the request reaches NAME_SUPPORT of the floor.
SKILL_NAME = "skill-name:"
NAME_SUPPORT = 0.75
# Skills whose items take their form from any text (a page to read, a conversation to follow).
FORM_CAPABILITIES = frozenset({*READING_CAPABILITIES, "spoken-dialogue-understanding"})
# A reading request that names a passage asks for one: a card with no passage cannot serve it.
PASSAGE = re.compile(r"\b(?:passages?|paragraphs?|articles?|news (?:text|story|stories|report)s?)\b", re.I)
# Words that say how items are put, not what they are about ("OCR-style", "never as text").
_FORM_WORDS = frozenset("style styled based like never always ever".split())



def search_query(subtask: SubtaskDraft) -> str:
    return " ".join([subtask.name, subtask.description, *subtask.keywords])


@dataclass(frozen=True)
class Intent:
    """What a subtask is for in the words that asked it: the whole request ("request") or the text of
    a capability ask it serves (the ask's key)."""

    key: str
    text: str


def ask_words(ask: Ask, request_text: str, *, several: bool) -> str:
    """An ask in the request's own words: the sentences of the request that hold its evidence. A
    capability's name ("social and commonsense reasoning") is wider than what was asked, so it
    stands in only for one of several skills asked whose words are not found in the request."""
    # Of a request asking several skills, the clauses ("...pick the most plausible cause" | "tell the
    # sentiment of a review"); of one asking one skill, the sentences.
    words = [w.lower() for w in ask.evidence if w and not w.startswith("(")]
    sentences = [s for s in re.split(r"(?<=[.?!])\s+|\n+", request_text) if s.strip()]
    held = [s for s in sentences if any(w in s.lower() for w in words)]
    if several:
        clauses = [c for c in re.split(r"(?<=[;:,])\s+|\s+(?:and|or|as well as|plus)\s+", " ".join(held)) if c.strip()]
        own = [c for c in clauses if any(w in c.lower() for w in words)]
        # A clause too short to say what it is about ("Spoken digit recognition:") is no better than
        # the skill's name: the sentence stands.
        if own and len(" ".join(own).split()) >= 5:
            held = own
    if held:
        return " ".join(held)
    return ask.text if several else ""


def names_a_topic(request_text: str, asks: list[Ask] | None) -> bool:
    """Whether the request says what its items are about beyond the skill, media and conditions its
    asks hold ("...about airline complaints") or only their form ("a page image of a short printed
    passage and a question about it": any passage serves)."""
    from agents.offline.analysis import content_words

    # The words that evidence an ask (a pattern's whole match is a clause, not its words: left out).
    said = {w for a in asks or [] for phrase in a.evidence if len(phrase.split()) <= 3
            for w in re.findall(r"[a-z]+", phrase.lower())}
    explained = said | MEDIUM_WORDS | CONDITION_WORDS | _FORM_WORDS
    left = [w for w in content_words(request_text.lower())
            if not all(part in explained for part in re.findall(r"[a-z]+", w))]
    return len(left) > 1


def intents_of(subtask: SubtaskDraft, *, request_text: str = "", asks: list[Ask] | None = None,
               topic: bool = True) -> list[Intent]:
    """The texts a subtask's candidates are judged against: the request, each capability ask it
    serves in the request's words, and in the skill's own name (which counts only for a card the
    request itself nearly reaches: `prepare`)."""
    found = [Intent("request", request_text)] if request_text.strip() else []
    skills = [a for a in asks or [] if a.kind == "capability"]
    for a in skills:
        if a.key not in subtask.serves:
            continue
        text = ask_words(a, request_text, several=len(skills) > 1) if request_text.strip() else a.text
        if request_text.strip() and a.text.strip() and text != a.text:
            found.append(Intent(SKILL_NAME + a.key, a.text))
        if text.strip() and text.strip() != request_text.strip():
            found.append(Intent(a.key, text))
    # Called without the request (a caller of the subtask alone): the subtask's words are the intent.
    return found or [Intent("subtask", search_query(subtask))]


def route_query(text: str, synthesis: str) -> str:
    """The query a route searches with: the words themselves, less those naming a robustness condition
    (operators make it), and less those naming the medium when the route makes that medium from a
    text card."""
    dropped = CONDITION_WORDS | (MEDIUM_WORDS if synthesis else frozenset())
    return " ".join(w for w in re.findall(r"[\w'-]+|[^\w\s]", text) if w.lower() not in dropped)


def content_score(hit: PoolHit) -> float:
    """How much a card's text matches the subtask: lexical and semantic parts only. The QA and role
    bonuses are near-constant across fitting cards and would blur the comparison with the best."""
    if "semantic" in hit.parts:
        return 0.5 * hit.parts.get("lexical", 0.0) + 0.5 * hit.parts["semantic"]
    return hit.parts.get("lexical", hit.score)


def relevance_of(hit: PoolHit) -> float:
    """A hit's absolute relevance to its query: the pool's, or (a pool that gives none) its
    content score."""
    return hit.parts["relevance"] if "relevance" in hit.parts else content_score(hit)


def relevance_floor(hit: PoolHit, config: Any) -> float:
    """The floor for a hit: the hybrid one, or the lexical one for a pool without embeddings."""
    return config.relevance_floor if "semantic" in hit.parts else config.relevance_floor_lexical
