"""Cue words for the offline request analysis: how they are written, matched and weighed.

A cue is a word or a phrase. A word ending in "*" matches any ending ("handwrit*": handwritten,
handwriting); any other word also matches its plural ("image": images); words of a phrase may be
joined by spaces or hyphens ("low resolution": "low-resolution"). Each cue carries a weight: the
weight of evidence one occurrence gives, so a generic word can count for little and a specific one
for much. Matches report the request's own words, which become an ask's evidence."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from agents.tools.language import LANGUAGE_NAMES as LANGUAGES  # noqa: F401  (names -> ISO 639-1; read by constraints)

# Words that, just before a cue, deny it ("no audio", "without images", "not spoken").
NEGATORS = frozenset({"no", "without", "not", "never", "nor", "non", "zero", "lacking"})


@dataclass(frozen=True)
class Hit:
    cue: str
    words: str  # the request's words that matched
    start: int
    end: int
    weight: float
    negated: bool = False


def _word_pattern(word: str) -> str:
    if word.endswith("*"):
        return re.escape(word[:-1]) + r"[\w'-]*"
    if word[-1:].isalpha() and len(word) > 2:
        return re.escape(word) + r"(?:s|es)?"
    return re.escape(word)


@lru_cache(maxsize=4096)
def cue_regex(cue: str) -> re.Pattern[str]:
    if cue.startswith("re:"):  # a pattern no word list can say ("king is to queen as ...")
        return re.compile(cue[3:])
    words = cue.lower().split()
    return re.compile(r"(?<![\w-])" + r"[\s-]+".join(_word_pattern(w) for w in words) + r"(?![\w])")


def normalise(text: str) -> str:
    """Lower case, typographic quotes and dashes made plain, whitespace collapsed."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-").replace("\u2014", " - ")
    return " ".join(text.split())


def _negated(text: str, start: int) -> bool:
    before = re.findall(r"[a-z]+", text[max(0, start - 40):start])[-3:]
    return any(word in NEGATORS for word in before)


def find(text: str, cues: dict[str, float] | tuple[str, ...], *, default_weight: float = 1.0) -> list[Hit]:
    """Every cue occurrence in the (normalised) text, longest cue first where two overlap."""
    weighted = cues if isinstance(cues, dict) else {c: default_weight for c in cues}
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []
    for cue in sorted(weighted, key=lambda c: (-len(c), c)):
        for match in cue_regex(cue).finditer(text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            taken.append((match.start(), match.end()))
            hits.append(Hit(cue=cue, words=match.group(0), start=match.start(), end=match.end(),
                            weight=weighted[cue], negated=_negated(text, match.start())))
    hits.sort(key=lambda h: h.start)
    return hits


def blank(text: str, phrases: tuple[str, ...]) -> str:
    """The text with these phrases blanked out (same length), so their words count for nothing."""
    for phrase in phrases:
        text = cue_regex(phrase).sub(lambda m: " " * len(m.group(0)), text)
    return text


# Phrases that set what follows them (to the next punctuation) against what is asked: "... rather
# than simple image description" asks for no image description.
CONTRAST = ("rather than", "instead of", "as opposed to", "other than", "not about", "no need for",
            "without requiring", "not merely", "not simply")


def without_contrasts(text: str) -> str:
    """The text with every contrasted clause blanked out (same length)."""
    pattern = "|".join(re.escape(c) for c in CONTRAST)
    return re.sub(rf"\b(?:{pattern})\b[^.;,:!?]*", lambda m: " " * len(m.group(0)), text)


def evidence_words(hits: list[Hit]) -> list[str]:
    """The distinct words of the hits, in the order the request says them."""
    seen: list[str] = []
    for hit in hits:
        if hit.words not in seen:
            seen.append(hit.words)
    return seen


def weight_of(hits: list[Hit]) -> float:
    """The evidence of the hits: each distinct cue counts once (repeating a word adds nothing)."""
    best: dict[str, float] = {}
    for hit in hits:
        if not hit.negated:
            best[hit.cue] = max(best.get(hit.cue, 0.0), hit.weight)
    return sum(best.values())


# --- media -----------------------------------------------------------------------------------

# Phrases whose media words do not ask for media ("hate speech" is text; "figure out" is a verb).
NOT_MEDIA = ("hate speech", "part of speech", "parts of speech", "part-of-speech", "figure of speech",
             "figures of speech", "free speech", "speech act", "reported speech", "direct speech", "indirect speech",
             "active voice", "passive voice", "big picture", "figure out", "sound reasoning", "sound argument",
             "sound logic", "sound judgement", "sound judgment", "recorded history", "self-image", "public image",
             "brand image", "mental image", "knowledge graph*", "scene graph*")

# Phrases in which a skill's own word names where the text comes from or what it is about, not the
# skill: "sentiment of social media posts" asks no social reasoning.
NOT_SKILLS = ("social media", "social network*", "social networking", "social platform*", "social site*",
              "social app*", "social feed*", "social channel*")

MEDIA_CUES: dict[str, dict[str, float]] = {
    "image": {
        "image": 1.0, "images": 1.0, "imagery": 1.0, "picture*": 1.0, "photo*": 1.0, "visual*": 1.0, "vision": 1.0,
        "screenshot*": 1.0, "scan": 1.0, "scanned": 1.0, "chart*": 1.0, "diagram*": 1.0, "handwrit*": 1.0,
        "painting*": 1.0, "artwork*": 1.0, "drawing*": 1.0, "sketch*": 1.0, "illustrat*": 1.0, "icon*": 1.0,
        "logo*": 1.0, "infographic*": 1.0, "x-ray*": 1.0, "ct scan": 1.0, "mri": 1.0, "radiograph*": 1.0,
        "thumbnail*": 1.0, "camera*": 1.0, "pixel*": 1.0, "ocr": 1.0, "video frame": 1.0, "satellite": 1.0,
        "selfie*": 1.0, "snapshot*": 1.0, "comic*": 1.0, "meme*": 1.0, "slide*": 0.5, "figure": 0.5,
        "figures": 0.5, "map": 0.5, "maps": 0.5, "graph": 0.5, "graphs": 0.5, "plot": 0.3, "plots": 0.3,
        "glyph*": 0.5, "font*": 0.5, "colour*": 0.5, "color*": 0.5, "scene": 0.5, "scenes": 0.5,
        "look at": 0.5, "looks at": 0.5, "see": 0.3, "sees": 0.3, "shown in": 0.3, "poster*": 0.5,
        "page image*": 1.0, "printed page*": 1.0, "hand-written": 1.0, "written by hand": 1.0, "analog clock*": 1.0,
        "clock face*": 1.0, "flags": 0.5, "a flag": 0.5, "the flag": 0.5, "its flag": 0.5,
        "this flag": 0.5, "national flag": 0.5, "their flag": 0.5, "flag of": 0.5,
    },
    "audio": {
        "audio": 1.0, "speech": 1.0, "spoken": 1.0, "voice": 1.0, "voices": 1.0, "voiced": 1.0, "listen*": 1.0,
        "recording": 1.0, "recordings": 1.0, "acoustic*": 1.0, "podcast*": 1.0, "aloud": 1.0, "hear": 1.0,
        "heard": 1.0, "asr": 1.0, "pronunci*": 1.0, "voicemail*": 1.0, "dictation*": 1.0, "sound clip*": 1.0,
        "sounds": 1.0, "sound": 0.5, "audible": 1.0, "intonation": 1.0, "prosody": 1.0, "waveform*": 1.0,
        "recorded": 0.5, "hearing": 0.5, "utterance*": 0.3, "accent*": 0.5, "phone call*": 0.5, "music*": 0.5,
        "song*": 0.5, "transcri*": 0.5, "speaker": 0.3, "speakers": 0.3, "said": 0.3, "says": 0.3,
    },
}

# Phrases that rule media out altogether: a text-only benchmark.
TEXT_ONLY = ("text-only", "text only", "only text", "purely textual", "plain text only", "text alone",
             "no media", "without media", "no multimedia", "textual only", "only textual")

# Prototype sentences for the semantic evidence of each medium (and of plain text, the alternative).
MEDIA_PROTOTYPES: dict[str, tuple[str, ...]] = {
    "image": ("The model looks at a picture and answers about what it sees.",
              "Each item shows an image, photo or scan that the model must inspect visually."),
    "audio": ("The model listens to an audio recording of someone speaking.",
              "Each item is a sound clip or spoken recording the model must hear."),
    "text": ("The model reads a written text passage and answers a question about it.",
             "Each item is a text question with written answer options."),
}

# --- robustness conditions ---------------------------------------------------------------------

PERTURBATION_CUES: dict[str, tuple[str, ...]] = {
    "blur": ("blur*", "out of focus", "defocus*", "unsharp", "smeared", "smudged", "fuzzy"),
    "downscale": ("low resolution", "low-res", "lower resolution", "reduced resolution", "pixelated", "pixelation",
                  "downscal*", "downsampl*", "down-sampl*", "upscal*"),
    "jpeg": ("jpeg", "jpg", "compression artifact*", "compression artefact*", "compressed", "compression",
             "lossy"),
    "occlusion": ("occlu*", "partially hidden", "partly hidden", "partially covered", "partly covered",
                  "covered up", "obstructed", "masked out", "cut off"),
    "noise": ("noisy image*", "image noise", "gaussian noise", "salt and pepper", "grain", "grainy", "speckle*",
              "noise", "noisy"),
    "audio_noise": ("background noise", "noisy room*", "noisy recording*", "noisy audio", "noisy speech",
                    "noisy environment*", "crowded", "cafe", "café", "street noise", "babble", "reverb*",
                    "echoes", "echoing", "noise", "noisy", "low snr", "interference"),
}
# Generic words that ask for robustness without naming the condition.
ROBUSTNESS_CUES = ("robust*", "degraded", "degradation*", "low-quality", "low quality", "poor quality",
                   "corrupted", "corruption*", "distort*", "damaged", "perturb*", "adverse condition*")
SEVERITY_CUES: tuple[tuple[int, tuple[str, ...]], ...] = (
    (5, ("extreme", "extremely", "maximal", "maximum", "most severe", "worst")),
    (4, ("severe", "severely", "heavy", "heavily", "strong", "strongly")),
    (2, ("mild", "mildly", "slight", "slightly", "light", "lightly", "subtle", "a little")),
    (1, ("minimal", "barely", "faint", "very slight")),
    (3, ("moderate", "moderately", "medium")),
)
ALL_SEVERITIES = ("every severity", "all severities", "each severity", "increasing severity", "increasing severities",
                  "range of severities", "range of severity", "levels of severity", "severity levels",
                  "increasingly", "from mild to severe", "from light to heavy")

# --- other constraints ---------------------------------------------------------------------------

NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}

MULTILINGUAL = ("multilingual", "multiple languages", "many languages", "several languages", "different languages",
                "mixed-language", "mixed language", "mix languages", "mixes languages", "mixing languages",
                "code-switch*", "code switch*", "cross-language", "cross-lingual", "crosslingual",
                "two languages", "various languages")

# Media and robustness words are constraints, not the skill: they never name a custom skill.
GENERIC_WORDS = frozenset("""
    can could would should model models llm llms ai system systems benchmark benchmarks test tests testing evaluate
    evaluates evaluating evaluation measure measures check checks whether well good able ability abilities skill
    skills want wants need needs build create make made using use given give gives task tasks item items sample
    samples question questions answer answers dataset datasets set sets data kind kinds type types way ways tell
    tells told show shows shown showing thing things something someone one ones each every many much some several
    few small tiny large big short long new also only just like lot lots really very about from into onto with
    without within while which what who whom whose when where why how this that these those there here their its
    his her our your them they it we you he she is are was were be been being do does did done has have had will
    shall may might must let lets see look looks looking get gets got image images picture pictures photo photos
    visual vision audio speech spoken voice recording recordings text textual written read reads reading sound
    sounds input inputs multimodal modality modalities blur blurry blurred jpeg noise noisy resolution low
    severity severe mild options option choice choices multiple format hard easy difficult challenging simple
    languages language english per whether please i me my mine than then so such other others same
    degraded degradation degradations robust robustness robustly severities level levels corrupted corruption
    distorted distortion perturbed perturbation perturbations condition conditions moderate extreme extremely
    heavily heavy slightly slight compressed compression occluded occlusion pixelated
""".split())
