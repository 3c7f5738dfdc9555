"""Offline request analysis: a request's words read into explicit asks (agents.types.Ask) and, when
it cannot be planned as written, the problems a user must fix.

Evidence decides, never one shared word. Each medium and each skill gathers weighted evidence:
lexicon cues (a specific word such as "handwritten" or "sentiment" weighs 1; a generic one such as
"recognise", "classify", "word" or "read" little, and alone never decides), the packaged MiniLM
embeddings (how much closer the request is to a medium's or skill's description than to the
alternatives), the robustness conditions named and how the question must reach the model. An ask
is made when its evidence clears a threshold; between the lower and the upper threshold it is
marked uncertain, and the spec then waits for review. Skills are chosen among the taxonomy's
capabilities for the request's media, each on evidence of its own; a skill the taxonomy does not
name becomes a custom capability ask in the request's own words."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from agents.offline import constraints
from agents.offline.lexical import STOPWORDS
from agents.offline.lexicon import (
    GENERIC_WORDS,
    MEDIA_CUES,
    MEDIA_PROTOTYPES,
    NEGATORS,
    NOT_MEDIA,
    NOT_SKILLS,
    TEXT_ONLY,
    Hit,
    blank,
    evidence_words,
    find,
    normalise,
    weight_of,
    without_contrasts,
)
from agents.offline.taxonomy import CAPABILITIES, Capability
from agents.planner.asks import capability_ask, modality_ask, question_modality_ask, slug
from agents.tools.embedding import Embedder
from agents.types import Ask, BuildRequest, Perturbation

MEDIA = ("image", "audio")
CERTAIN, LIKELY = 1.0, 0.5  # evidence for a medium: an ask at LIKELY, a certain one at CERTAIN
SKILL_CERTAIN = 1.0  # evidence for a skill to be asked without review: one specific word of its own
WEAK_WEIGHT, WEAK_CAP = 0.35, 3  # a generic cue's weight, and how many of them count at most
# Words naming what items are read from, not a skill, when another skill is asked of them.
MATERIAL_WORDS = frozenset({"passage", "passages", "paragraph", "paragraphs", "article", "articles", "text", "texts"})
SKILL_MARGIN = 0.25  # two skills resting on the same words must differ by this much, or the choice is uncertain
SEM_FLOOR, SEM_SPAN, SEM_WEIGHT = 0.30, 0.25, 0.6  # request-to-skill cosine: no evidence below the floor
MEDIA_SEM_FLOOR, MEDIA_SEM_SPAN, MEDIA_SEM_WEIGHT = 0.05, 0.15, 0.5  # a medium's cosine margin over the others
IMPLIED = 0.5  # a medium implied by a skill that needs it, when no medium is named
CONDITION_IMPLIES = 0.5  # each robustness condition of one medium ("blur") is evidence for that medium


@dataclass
class SkillEvidence:
    capability: Capability
    strong: list[Hit]
    weak: list[Hit]
    semantic: float = 0.0  # the bonus from the embeddings, in [0, SEM_WEIGHT]

    @property
    def strong_weight(self) -> float:
        return weight_of(self.strong)

    @property
    def score(self) -> float:
        weak = min(len({h.cue for h in self.weak if not h.negated}), WEAK_CAP) * WEAK_WEIGHT
        return self.strong_weight + weak + self.semantic

    @property
    def words(self) -> list[str]:
        return evidence_words([h for h in self.strong + self.weak if not h.negated])


@dataclass
class Analysis:
    asks: list[Ask]
    problems: list[str]
    modalities: list[str]  # "text" and the media asked
    perturbation: Perturbation | None
    trace: dict = field(default_factory=dict)  # the evidence behind each decision, for the spec's trace


# --- semantic evidence -------------------------------------------------------------------------

_VECTORS: dict[tuple[str, str], list[float]] = {}


def _embed(embedder: Embedder, texts: list[str]) -> list[list[float]]:
    """Vectors of the texts, the fixed ones (prototypes, capability documents) computed once."""
    missing = [t for t in dict.fromkeys(texts) if (embedder.model_name, t) not in _VECTORS]
    if missing:
        for text, vector in zip(missing, embedder.embed(missing), strict=True):
            _VECTORS[(embedder.model_name, text)] = vector
    return [_VECTORS[(embedder.model_name, t)] for t in texts]


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))  # both unit length


def _clip(value: float) -> float:
    return min(max(value, 0.0), 1.0)


# --- media -------------------------------------------------------------------------------------

def media_margins(request_vector: list[float] | None, embedder: Embedder | None) -> dict[str, float] | None:
    """How much closer in meaning the request is to each medium's prototypes than to the others'
    (plain text included); None without embeddings."""
    if request_vector is None or embedder is None:
        return None
    sims = {medium: max(_cos(request_vector, v) for v in _embed(embedder, list(sentences)))
            for medium, sentences in MEDIA_PROTOTYPES.items()}
    return {medium: sims[medium] - max(s for m, s in sims.items() if m != medium) for medium in MEDIA}


# Words that may stand between a negator and the medium it denies ("without any images", "no image
# or audio", "do not use recordings"); any other word qualifies the medium ("no English recordings"
# asks for recordings in other languages, not for none).
_DENIAL_FILLER = frozenset({"a", "an", "any", "the", "or", "nor", "and", "use", "using", "used", "need", "needs",
                            "include", "including", "included", "show", "showing", "shown", "play", "playing",
                            "with", "extra", "additional", "given", "attached", "input", "inputs"})


def _qualified(text: str, hit: Hit) -> bool:
    """The negation before a medium's word denies a kind of that medium, not the medium."""
    before = re.findall(r"[a-z]+", text[max(0, hit.start - 40):hit.start])[-3:]
    last = max((i for i, w in enumerate(before) if w in NEGATORS), default=None)
    if last is None:
        return False
    between = before[last + 1:]
    media_words = {w for cues in MEDIA_CUES.values() for cue in cues for w in cue.lower().split()}
    return any(w not in _DENIAL_FILLER and w not in media_words for w in between)


def _media_evidence(text: str, margins: dict[str, float] | None,
                    implied: dict[str, tuple[float, list[str]]], conditions: dict[str, list[tuple[str, list[str]]]],
                    question: tuple[str, list[str]] | None) -> dict[str, dict]:
    """Per medium: the evidence weight, its words, whether the request denies it, and its parts."""
    plain = blank(text, NOT_MEDIA)
    semantic = {m: MEDIA_SEM_WEIGHT * _clip(((margins or {}).get(m, 0.0) - MEDIA_SEM_FLOOR) / MEDIA_SEM_SPAN)
                for m in MEDIA}
    out: dict[str, dict] = {}
    for medium in MEDIA:
        hits = find(plain, MEDIA_CUES[medium])
        positive = [h for h in hits if not h.negated]
        denied = [h for h in hits if h.negated and not re.match(
            r"\s+(?:(?:of|with)\s+)?(?:noise|quality|descriptions?|captions?|hints?|metadata|text|clues?)\b", plain[h.end:])
            and not _qualified(plain, h)]
        lexical = min(weight_of(positive), 2.0)
        from_conditions = min(CONDITION_IMPLIES * len(conditions.get(medium, [])), 1.0)
        from_question = 2.0 if question and {"speech": "audio", "image": "image"}[question[0]] == medium else 0.0
        from_skill, skill_words = implied.get(medium, (0.0, []))
        weight = lexical + from_skill + from_conditions + semantic[medium] + from_question
        words = evidence_words(positive) + (question[1] if from_question else [])
        if from_conditions and not words:
            words = [w for kind in conditions[medium] for w in kind[1]]
        if from_skill and not words:
            words = skill_words
        out[medium] = {"weight": round(weight, 4), "words": words, "denied": evidence_words(denied),
                       "parts": {"lexical": round(lexical, 4), "implied": from_skill,
                                 "conditions": from_conditions, "semantic": round(semantic[medium], 4),
                                 "question": from_question}}
    return out


# --- skills --------------------------------------------------------------------------------------

def skill_evidence(text: str, capabilities: tuple[Capability, ...] | list[Capability],
                   request_vector: list[float] | None = None, embedder: Embedder | None = None) -> list[SkillEvidence]:
    found = []
    vectors = _embed(embedder, [c.document() for c in capabilities]) if (
        request_vector is not None and embedder is not None) else None
    for i, capability in enumerate(capabilities):
        strong = [h for h in find(text, capability.strong) if not h.negated]
        taken = [(h.start, h.end) for h in strong]
        weak = [h for h in find(text, capability.weak) if not h.negated
                and not any(h.start < e and s < h.end for s, e in taken)]
        semantic = 0.0
        if vectors is not None:
            semantic = SEM_WEIGHT * _clip((_cos(request_vector, vectors[i]) - SEM_FLOOR) / SEM_SPAN)
        found.append(SkillEvidence(capability, strong, weak, round(semantic, 4)))
    return found


def _implied_media(evidence: list[SkillEvidence],
                   margins: dict[str, float] | None) -> dict[str, tuple[float, list[str]]]:
    """The medium a skill needs, when the request names no medium but a skill of one clearly better
    than any text skill ("which country a flag belongs to" needs an image of the flag): only the
    best such skill's, and, with embeddings, only if the request is not closer in meaning to text."""
    best_text = max((e.score for e in evidence if not e.capability.media), default=0.0)
    media_skills = sorted((e for e in evidence if len(e.capability.media) == 1 and e.strong_weight >= 1),
                          key=lambda e: (-e.score, e.capability.key))
    if not media_skills or media_skills[0].score < best_text + 0.5:
        return {}
    top = media_skills[0]
    if len(media_skills) > 1 and media_skills[1].score > top.score - SKILL_MARGIN and \
            media_skills[1].capability.media != top.capability.media:
        return {}  # two media fit equally well: neither is implied
    (medium,) = top.capability.media
    if margins is not None and margins[medium] <= 0:
        return {}
    return {medium: (IMPLIED, evidence_words(top.strong))}


def choose_skills(evidence: list[SkillEvidence], *, medium_words: set[str] | frozenset[str] = frozenset(),
                  set_aside: list[tuple[SkillEvidence, str]] | None = None) -> list[tuple[SkillEvidence, bool, str]]:
    """(evidence, uncertain, why) of each skill asked: a skill needs a specific word of its own, or,
    when no skill has one, several generic words that the embeddings support (then uncertain).
    A skill whose specific words are all explained by a better one is not asked again."""
    ranked = sorted(evidence, key=lambda e: (-e.score, e.capability.key))
    chosen: list[tuple[SkillEvidence, bool, str]] = []
    set_aside = [] if set_aside is None else set_aside
    explained: set[str] = set()
    for e in ranked:
        if not e.strong_weight:
            continue
        own = {h.words for h in e.strong} - explained
        if not own:
            continue
        rival = next((r for r in ranked if r is not e and r.strong_weight and r.score > e.score - SKILL_MARGIN
                      and {h.words for h in r.strong} & {h.words for h in e.strong}
                      and r.capability.key not in {c.capability.key for c, _, _ in chosen}), None)
        uncertain = e.score < SKILL_CERTAIN
        why = "" if not uncertain else f"little evidence ({e.score:.2f})"
        if chosen and {w.lower() for w in own} <= medium_words:
            # A second skill resting only on words that say how the items are shown ("tiny scanned
            # digits"): the words describe the medium of the skill asked, not another skill.
            set_aside.append((e, f"its only words ({', '.join(sorted(own))}) say how the items are shown"))
            continue
        if rival is not None and not chosen:
            uncertain, why = True, f"fits {rival.capability.name!r} about as well"
        chosen.append((e, uncertain, why))
        explained |= {h.words for h in e.strong}
    material = [c for c in chosen if {h.words.lower() for h in c[0].strong} <= MATERIAL_WORDS]
    if material and len(material) < len(chosen):
        # "Read a short news passage and decide which event happened first": the passage is what
        # the items are read from; the other skill is what they ask.
        for c in material:
            chosen.remove(c)
            words = ", ".join(sorted({h.words for h in c[0].strong}))
            set_aside.append((c[0], f"its only words ({words}) say what the items are read from"))
    if not chosen:
        weak_only = [e for e in ranked if len({h.cue for h in e.weak}) >= 2 and e.semantic >= 0.3]
        if weak_only:
            chosen.append((weak_only[0], True, "only generic words and closeness in meaning"))
    return chosen


# Two skills asked in one item: one's words, then one of these, then the other's, in one phrase
# ("reason about time in conversations", "sentiment analysis of dialogues"). A comma or "and"
# between them asks two parts ("commonsense and temporal reasoning").
_JOINING = frozenset({"in", "within", "during", "inside", "across", "throughout", "of", "from", "on"})
_PARTING = frozenset({"and", "or", "but", "then", "also", "plus", "as", "well", "versus", "vs"})
JOINT_GAP_WORDS = 3


def joint_skills(text: str, chosen: list[SkillEvidence]) -> dict[str, str]:
    """{capability key: the capability it is asked within}: the skill is asked about the other's
    material ("time in conversations": temporal reasoning within conversation understanding), so an
    item serves it only by having both. The first skill of such a phrase is the one asked; the one
    after the joining word is where it is asked."""
    within: dict[str, str] = {}
    for a in chosen:
        for b in chosen:
            if a is b or a.capability.key in within or b.capability.key in within:
                continue
            for ha in (h for h in a.strong + a.weak if not h.negated):
                hb = next((h for h in b.strong + b.weak if not h.negated and h.start >= ha.end
                           and _joined(text[ha.end:h.start])), None)
                if hb is not None:
                    within[a.capability.key] = b.capability.key
                    break
    # The setting inside the skill's phrase: "how the people in a conversation are related".
    for b in chosen:
        for hb in (h for h in b.strong + b.weak if not h.negated):
            lead = re.findall(r"[a-z'-]+", text[max(0, hb.start - 20):hb.start].lower())[-2:]
            if b.capability.key in within or not lead or not set(lead) & _JOINING:
                continue
            for a in chosen:
                if a is b or a.capability.key in within or a.capability.key in within.values():
                    continue
                if any(h.start >= hb.end and _joined_after(text[hb.end:h.start]) for h in a.strong + a.weak
                       if not h.negated):
                    within[a.capability.key] = b.capability.key
    # The setting said first, as a sentence's opening phrase: "In everyday chat conversations, can
    # a model work out how long something takes?", "Given a conversation between friends, what is the
    # relationship between two people in it?"
    for opening in _OPENING.finditer(text):
        setting, rest = opening.span(1), opening.span(2)
        for b in chosen:
            if b.capability.key in within or not any(setting[0] <= h.start and h.end <= setting[1]
                                                     for h in b.strong + b.weak if not h.negated):
                continue
            for a in chosen:
                if a is b or a.capability.key in within or a.capability.key in within.values():
                    continue
                if any(rest[0] <= h.start and h.end <= rest[1] for h in a.strong + a.weak if not h.negated) and \
                        not any(setting[0] <= h.start and h.end <= setting[1] for h in a.strong):
                    within[a.capability.key] = b.capability.key
    return within


_OPENING = re.compile(r"(?:^|[.!?]\s+)(?:in|within|during|across|throughout|inside|given|for)\s+([^,.;:!?]{1,60}),"
                      r"\s*([^.!?]*)")


def _joined_after(gap: str) -> bool:
    """The words between a setting and the skill that follows it in one phrase ("are", "were")."""
    if re.search(r"[,;:.!?()]", gap):
        return False
    words = re.findall(r"[a-z'-]+", gap.lower())
    return len(words) <= 2 and not any(w in _PARTING for w in words)


def _joined(gap: str) -> bool:
    if re.search(r"[,;:.!?()]", gap):
        return False
    words = re.findall(r"[a-z'-]+", gap.lower())
    return (0 < len(words) <= JOINT_GAP_WORDS and any(w in _JOINING for w in words)
            and not any(w in _PARTING for w in words))


# A request in explicit parts: "in two parts: some items ..., the others ...", "half of the items ...,
# the other half ...". Each part is read on its own, with the media it names.
_IN_PARTS = re.compile(r"\bin (?:two|three|four|2|3|4) parts\b|\bsome (?:of the )?(?:items|questions|samples)\b.*"
                       r"\b(?:the )?(?:others|rest)\b|\bhalf (?:of )?(?:the )?(?:items|questions|samples)\b.*"
                       r"\bother half\b")
_PART_BREAK = re.compile(r";|,?\s+(?:(?:and|while|but|with)\s+)?(?:the\s+)?(?:others|rest|other half|remaining "
                         r"(?:items|questions|samples))\b")


_PART_LEAD = re.compile(r"^(?:(?:are|is|will be|should be|must be|can be)\s+)")


def request_parts(text: str) -> list[str]:
    """The parts of a request that says its items come in parts (after a colon that opens them),
    each with its own words; [] for a request in one piece."""
    if not _IN_PARTS.search(text):
        return []
    body = text.split(":", 1)[1] if ":" in text else text
    parts = [_PART_LEAD.sub("", " ".join(p.split()).strip(" ,.")) for p in _PART_BREAK.split(body)]
    parts = [p for p in parts if len(p.split()) >= 3]
    return parts if len(parts) >= 2 else []


def _parts_asked(text: str, chosen: list[tuple[SkillEvidence, bool, str]], medium_words: set[str]
                 ) -> list[tuple[str, frozenset[str], list[tuple[SkillEvidence, bool, str]]]]:
    """Each part of a request in parts that no chosen skill covers, with the skills its own words ask
    (with the media that part names): a part of written questions beside a part of flag pictures is
    not the flag skill's, and was silently left out of the plan."""
    covered = {e.capability.key for e, _, _ in chosen}
    out = []
    for part in request_parts(text):
        plain = blank(part, NOT_MEDIA)
        part_media = frozenset(m for m in MEDIA if any(not h.negated for h in find(plain, MEDIA_CUES[m])))
        evidence = [e for e in skill_evidence(blank(part, NOT_SKILLS), CAPABILITIES)
                    if e.capability.media == part_media]
        found = [c for c in choose_skills(evidence, medium_words=medium_words) if c[0].strong_weight]
        if any(e.capability.key in covered or any(h.words in {w for c, _, _ in chosen for w in
                                                              (x.words for x in c.strong)} for h in e.strong)
               for e, _, _ in found):
            continue  # a chosen skill's part
        if not found and any(find(part, c.strong) for c in CAPABILITIES if c.key in covered):
            continue  # its words are a chosen skill's own
        covered |= {e.capability.key for e, _, _ in found}
        out.append((part, part_media, found))
    return out


def content_words(text: str) -> list[str]:
    """The request's words that could name a skill: no stop words, no generic or media words."""
    words = re.findall(r"[a-z][a-z'-]*[a-z]|[a-z]", text)
    return [w for w in words if w not in STOPWORDS and w not in GENERIC_WORDS and len(w) > 2]


_ASKING = re.compile(r"^(?:can|could|does|do|is|are|will|would|how|what|which|who|whether|test|evaluate|measure|"
                     r"check|assess|ask|give|show|play|see if|find out)\b", re.IGNORECASE)


def _custom_ask(words: list[str], original: str, *, short: bool, ambiguous: bool) -> Ask:
    """A skill no taxonomy entry names, in the request's own words (kept whole in params["words"],
    so grounding can search for the team's own dataset with them)."""
    sentences = re.split(r"(?<=[.!?])\s", " ".join(original.split()))
    # The sentence that asks ("Does a vision model notice when a person has fallen?"), not the one
    # that sets the scene ("We build a safety monitor for care homes.").
    sentence = next((s for s in sentences if s.endswith("?") or _ASKING.match(s)), sentences[0])
    asking = set(content_words(normalise(sentence)))
    words = sorted(dict.fromkeys(words), key=lambda w: w not in asking)[:6]  # stable: the asking words first
    phrase = " ".join(words[:4])
    sentence = sentence[:200]
    uncertain = short or ambiguous
    return capability_ask(key=f"custom-{slug(phrase, limit=50)}",
                          text=f"the skill in the request's own words: {sentence}",
                          evidence=words, capability="custom", words=" ".join(original.split())[:300],
                          confidence=0.5 if uncertain else 0.7, uncertain=uncertain)


# --- problems --------------------------------------------------------------------------------------

def basic_problems(original: str) -> list[str]:
    """Why a request is too short to read at all: empty, or a single word (any engine)."""
    words = re.findall(r"[a-z0-9]+", normalise(original))
    if not words:
        return ["The request is empty: describe what the benchmark should test, for example \"Can a model tell "
                "which country a flag shown in a photo belongs to?\"."]
    if len(words) == 1:
        return [f"The request is the single word \"{original.strip()}\": say what a model should be able to do, "
                "with what it is shown and what it must answer, so the benchmark tests the right skill."]
    return []


def _problems(original: str, text: str, media: dict[str, dict], question: tuple[str, list[str]] | None,
              formats: list[Ask], count: Ask | None, given: set[str] | None) -> list[str]:
    problems = basic_problems(original)
    if problems:
        return problems
    text_only = [h for h in find(text, TEXT_ONLY)]
    for medium, noun in (("image", "images"), ("audio", "audio")):
        asked = media[medium]["words"] if media[medium]["parts"]["lexical"] >= CERTAIN or \
            media[medium]["parts"]["question"] else []
        if text_only and asked:
            problems.append(f"The request asks for a text-only benchmark (\"{text_only[0].words}\") but also for "
                            f"{noun} (\"{asked[0]}\"): say whether the items should carry {noun}.")
        elif media[medium]["denied"] and asked:
            problems.append(f"The request asks for {noun} (\"{asked[0]}\") and also for none "
                            f"(\"no {media[medium]['denied'][0]}\"): say whether the items should carry {noun}.")
        if given is not None and question and medium not in given and \
                {"speech": "audio", "image": "image"}[question[0]] == medium:
            problems.append(f"The request wants the question as {question[0]} (\"{question[1][0]}\") but its "
                            f"modalities ({', '.join(sorted(given | {'text'}))}) have no {noun}: add {noun} or "
                            "let the question be written.")
    kinds = {a.params["format"] for a in formats}
    if "binary" in kinds and count is not None and count.params["count"] > 2:
        problems.append(f"The request asks for yes/no answers and for {count.params['count']} options "
                        f"(\"{count.evidence[0]}\"): say which.")
    if "free_text" in kinds and ("choice" in kinds or count is not None):
        problems.append("The request asks for open-ended answers and for answer options: say which.")
    return problems


# --- the analysis --------------------------------------------------------------------------------

def _conditions_by_medium(kinds_named: dict[str, list[str]]) -> dict[str, list[tuple[str, list[str]]]]:
    """Robustness conditions that only one medium has, as evidence for it (bare "noise" is neither's)."""
    out: dict[str, list[tuple[str, list[str]]]] = {}
    for kind, words in kinds_named.items():
        if kind in ("noise", "audio_noise") and all(w in ("noise", "noisy") for w in words):
            continue
        out.setdefault("audio" if kind == "audio_noise" else "image", []).append((kind, words))
    return out


def analyse(request: BuildRequest, *, embedder: Embedder | None = None) -> Analysis:
    original = request.text
    text = normalise(original)
    given = set(request.modalities) - {"text"} if request.modalities else None
    request_vector = _embed(embedder, [original])[0] if (embedder is not None and text) else None
    question = constraints.question_modality(text)
    conditions = _conditions_by_medium(constraints.perturbations(text, set(MEDIA)).kinds_named)
    asked = without_contrasts(text)  # skills and media set against what is asked are not asked
    skill_text = blank(asked, NOT_SKILLS)
    everything = skill_evidence(skill_text, CAPABILITIES, request_vector, embedder)
    plain = blank(asked, NOT_MEDIA)
    lexical_media = sum(min(weight_of([h for h in find(plain, MEDIA_CUES[m]) if not h.negated]), 2) for m in MEDIA)
    # A skill implies its medium only for a request that names no medium at all.
    margins = media_margins(request_vector, embedder)
    implied = _implied_media(everything, margins) if lexical_media < CERTAIN and not conditions and not question else {}
    media = _media_evidence(asked, margins, implied, conditions, question)

    if given is not None:
        chosen_media = sorted(given)
        media_asks = [modality_ask(m, evidence=[f"modalities: {m}"]) for m in chosen_media]
    else:
        chosen_media, media_asks = [], []
        text_skills = [e for e, uncertain, _ in choose_skills([e for e in everything if not e.capability.media])
                       if not uncertain]
        for medium in MEDIA:
            weight = media[medium]["weight"]
            explained = next((e for e in text_skills if weight < CERTAIN and media[medium]["words"] and
                              {w.lower() for w in media[medium]["words"]} <= {w.lower() for w in e.words}), None)
            if explained is not None:
                # A medium resting only on words a text skill asked for certain explains ("the next
                # speaker" of a chat is a person in a conversation, not a recording): not asked.
                media[medium]["explained_by"] = explained.capability.key
                continue
            if weight >= LIKELY and media[medium]["words"] or weight >= CERTAIN:
                chosen_media.append(medium)
                media_asks.append(modality_ask(medium, evidence=media[medium]["words"] or ["(close in meaning)"],
                                               uncertain=weight < CERTAIN, confidence=_clip(weight / 2)))
    # The medium the question itself travels in is the question's; the skill is chosen among the rest.
    question_medium = {"speech": "audio", "image": "image"}[question[0]] if question else None
    skill_media = frozenset(chosen_media) - ({question_medium} if question_medium else set())
    pool = [e for e in everything if e.capability.media == skill_media]
    set_aside: list[tuple[SkillEvidence, str]] = []
    medium_words = {w.lower() for m in chosen_media for w in media[m]["words"]}
    chosen = choose_skills(pool, medium_words=medium_words, set_aside=set_aside)
    if skill_media == {"audio"} and not any(e.strong_weight for e, _, _ in chosen):
        # A text skill over inputs in a medium ("play a spoken post and ask whether it sounds
        # positive or negative"): no skill of that medium has a word of its own, a text skill does;
        # its items are its datasets' passages read aloud.
        text_pool = [e for e in everything if not e.capability.media]
        spoken = [c for c in choose_skills(text_pool, medium_words=medium_words) if c[0].strong_weight and not c[1]]
        if spoken:
            chosen, pool = spoken, text_pool
    if not chosen and len(skill_media) > 1:
        # A request in parts ("recognise handwritten digits in images, and which letter a speaker
        # says"): no one skill takes every medium, so each part's skill takes its own, if together
        # they take them all.
        parts = [e for e in everything if e.capability.media and e.capability.media < skill_media]
        split = choose_skills(parts, medium_words=medium_words)
        if split and frozenset().union(*(e.capability.media for e, _, _ in split)) == skill_media:
            chosen, pool = split, parts
    part_asks = _parts_asked(asked, chosen, medium_words)
    trace = {"media": media, "skill_media": sorted(skill_media),
             "skills": [{"capability": e.capability.key, "score": round(e.score, 4),
                         "strong": evidence_words(e.strong), "weak": evidence_words(e.weak), "semantic": e.semantic}
                        for e in sorted(pool, key=lambda e: (-e.score, e.capability.key))[:5] if e.score > 0],
             "skills_set_aside": [{"capability": e.capability.key, "why": why} for e, why in set_aside]}

    settings = joint_skills(skill_text, [e for e, _, _ in chosen])
    if settings:
        trace["skills_joint"] = [{"capability": k, "within": v} for k, v in sorted(settings.items())]
    asks: list[Ask] = []
    for e, uncertain, why in chosen:
        c = e.capability
        ask = capability_ask(key=c.key, text=c.name[0].lower() + c.name[1:] + (f" ({why})" if why else ""),
                             evidence=e.words, capability=c.key, confidence=_clip(e.score / 2), uncertain=uncertain)
        if c.key in settings:  # asked inside the other skill's items, not beside them
            ask.params["within"] = f"capability:{settings[c.key]}"
        asks.append(ask)
    per_item: list[Ask] = list(media_asks)
    if question:
        per_item.append(question_modality_ask(question[0], evidence=question[1]))
    robustness = constraints.perturbations(text, set(chosen_media)).asks
    count = constraints.option_count(text)
    formats = constraints.answer_formats(text)
    per_item += [*robustness, *([count] if count else []), *formats]
    per_item += [a for a in [constraints.difficulty(text), *constraints.languages(text),
                             constraints.no_textual_hints(text), constraints.adversarial_options(text)] if a]
    per_item += constraints.knowledge_links(text)
    per_item += constraints.materials(text)
    # What the other asks say is not the skill: a custom skill is named by the words left.
    # Two named answers ("spam or not") are the skill's own words too.
    said = {w for a in per_item if not a.params.get("labels") and a.kind != "material" for phrase in a.evidence
            for w in re.findall(r"[a-z]+", phrase)}
    words = [w for w in content_words(text) if w not in said]
    if not chosen and words:
        rivals = [e for e in pool if len({h.cue for h in e.weak}) >= 2]
        asks.append(_custom_ask(words, original, short=len(words) < 3, ambiguous=bool(rivals)))
    for ask in per_item:
        part = next((p for p in request_parts(asked) if ask.kind == "material" and ask.evidence
                     and ask.evidence[0] in p), None)
        if part:  # the material of one part of a request in parts: asked of that part's skills only
            ask.params["skills"] = [a.key for a in asks if a.kind == "capability"
                                    and any(w in part for w in a.evidence)] + [
                f"capability:{e.capability.key}" for p, _, found in part_asks if p == part for e, _, _ in found]
    for part, part_media, found in part_asks:
        trace.setdefault("parts", []).append({"part": part, "media": sorted(part_media),
                                              "skills": [e.capability.key for e, _, _ in found]})
        part_skill_asks = [capability_ask(key=e.capability.key, text=e.capability.name[0].lower()
                                          + e.capability.name[1:] + (f" ({why})" if why else ""),
                                          evidence=e.words, capability=e.capability.key,
                                          confidence=_clip(e.score / 2), uncertain=uncertain)
                           for e, uncertain, why in found]
        own = [w for w in content_words(part) if w not in said]
        if not part_skill_asks and own:
            # A part no skill names: its own ask, in its words, so the plan serves it or says it cannot.
            part_skill_asks = [_custom_ask(own, part, short=len(own) < 3, ambiguous=False)]
        for ask in part_skill_asks:
            ask.params.update(part=part, media=sorted(part_media))  # its items carry the part's media only
            asks.append(ask)
    asks += per_item

    problems = _problems(original, text, media, question, formats, count, given)
    if not problems and not any(a.kind == "capability" for a in asks):
        named = [w for m in MEDIA for w in media[m]["words"]] + [w for a in robustness for w in a.evidence]
        problems.append("The request names " + (f"only inputs or conditions ({', '.join(named)})" if named else
                                                "no skill") + " but no skill to test: say what a model should be "
                        "able to do, for example \"tell which object a blurry photo shows\".")
    if problems:
        return Analysis(asks=[], problems=problems, modalities=sorted({"text", *(given or ())}), perturbation=None,
                        trace=trace)
    perturbation = None
    if robustness:
        levels = robustness[0].params["severities"]
        perturbation = Perturbation(kind=robustness[0].params["kind"], severity=levels[0] if len(levels) == 1 else 3)
    return Analysis(asks=asks, problems=[], modalities=sorted({"text", *chosen_media}), perturbation=perturbation,
                    trace=trace)
