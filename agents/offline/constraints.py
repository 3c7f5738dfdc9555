"""Per-item asks read from a request's words (offline): how the question reaches the model,
robustness conditions with their severities, option count, answer format, difficulty, language,
"no textual hints", adversarial options, knowledge links and the material the items are read from.

Each reader takes the normalised request (agents.offline.lexicon.normalise) and returns asks
with the words that ask them; none decides on one generic word ("hard" asks for difficulty only
next to what is hard: "hard questions", never "hard disk")."""
from __future__ import annotations

import re
from dataclasses import dataclass

from agents.offline.lexical import STOPWORDS
from agents.offline.lexicon import (
    ALL_SEVERITIES,
    LANGUAGES,
    MULTILINGUAL,
    NEGATORS,
    NUMBER_WORDS,
    PERTURBATION_CUES,
    ROBUSTNESS_CUES,
    SEVERITY_CUES,
    Hit,
    evidence_words,
    find,
)
from agents.planner.asks import (
    DEFAULT_LADDER,
    MULTI_LANGUAGE,
    adversarial_options_ask,
    answer_format_ask,
    difficulty_ask,
    knowledge_link_ask,
    language_ask,
    material_ask,
    no_textual_hints_ask,
    option_count_ask,
    perturbation_ask,
)
from agents.types import Ask

IMAGE_KINDS = ("blur", "downscale", "jpeg", "occlusion", "noise")
_ITEM_NOUNS = (r"(?:questions?|items?|problems?|examples?|samples?|tasks?|cases?|puzzles?|benchmarks?|levels?|ones|"
               r"tests?)")
_Q = r"(?:questions?|quer(?:y|ies)|prompts?|problems?|instructions?)"

# --- how the question reaches the model --------------------------------------------------------

_SPOKEN_QUESTION = (
    rf"\b(?:spoken|voiced|audio|recorded|oral|read-aloud)\s+{_Q}",
    rf"\b{_Q}\b[^.;:]{{0,40}}?\b(?:only|solely|purely|just|exclusively)?\s*(?:as|in|via|through|by|from)\s+"
    r"(?:a |an |the )?(?:speech|audio|voice|spoken form|recordings?|sound)\b",
    rf"\b{_Q}\b[^.;:]{{0,25}}?\b(?:is|are|was|were|gets?|being|be)\s+(?:spoken|voiced|"
    r"(?:read|asked|said|given)\s+(?:aloud|out loud))",
    r"\b(?:asked|read|said|spoken)\s+(?:aloud|out loud)",
    r"\blisten(?:s|ing)?\s+to\s+(?:the|a|each)\s+(?:question|query|prompt)",
)
_IMAGE_QUESTION = (
    rf"\b{_Q}\b[^.;:]{{0,40}}?\b(?:only|solely|purely|just)\s+(?:as|in|inside|within)\s+(?:an? |the )?"
    r"(?:image|picture|screenshot|photo)s?\b",
    rf"\b{_Q}\b[^.;:]{{0,25}}?\b(?:embedded|rendered|written|printed|shown|displayed|typed|drawn)\s+"
    r"(?:as|in|inside|into|within|on)\s+(?:an? |the )?(?:image|picture|screenshot|photo)s?\b",
    rf"\b{_Q}\b[^.;:]{{0,25}}?\b(?:inside|within|part of)\s+(?:an? |the )?(?:image|picture|screenshot)s?\b",
    r"\b(?:image|picture|screenshot|photo)s?\s+(?:of|showing|containing)\s+(?:the|a)\s+(?:question|problem)s?\b",
)


def question_modality(text: str) -> tuple[str, list[str]] | None:
    """("speech" | "image", the words that ask it) when the question itself must not be text."""
    for modality, patterns in (("speech", _SPOKEN_QUESTION), ("image", _IMAGE_QUESTION)):
        words = [m.group(0) for p in patterns for m in re.finditer(p, text)]
        if words:
            return modality, sorted(set(words), key=text.find)
    return None


# --- robustness conditions ---------------------------------------------------------------------

_AUDIO_NEAR = ("audio", "recording", "speech", "spoken", "voice", "room", "call", "sound", "listen", "conversation")
_IMAGE_NEAR = ("image", "photo", "picture", "page", "scan", "screenshot", "pixel", "visual", "chart")


@dataclass
class Perturbations:
    asks: list[Ask]
    kinds_named: dict[str, list[str]]  # kind -> words, before any medium filter (a cue for the media)


def _severity_near(text: str, hit: Hit) -> int | None:
    before = text[max(0, hit.start - 30):hit.start]
    after = text[hit.end:hit.end + 30]
    number = re.search(r"\b(?:severity|level|strength)\s*(?:of\s*)?([1-5])\b", after) or re.search(
        r"\b(?:severity|level)\s*([1-5])\s*$", before)
    if number:
        return int(number.group(1))
    words = re.findall(r"[a-z]+", before)[-2:]
    for level, cues in SEVERITY_CUES:
        if any(cue in words for cue in cues if " " not in cue):
            return level
    return None


def _severity_range(text: str) -> list[int] | None:
    match = re.search(r"\bseverit(?:y|ies)\s*(?:levels?\s*)?([1-5])\s*(?:-|to|through|and)\s*([1-5])\b", text)
    if match:
        low, high = sorted((int(match.group(1)), int(match.group(2))))
        return list(range(low, high + 1))
    if find(text, ALL_SEVERITIES):
        return [1, 2, 3, 4, 5]
    return None


def _global_severity(text: str, named: list[Hit]) -> int | None:
    """One level said for the whole request ("all heavily degraded"), not next to a condition of its own."""
    levels = {level for level, cues in SEVERITY_CUES for hit in find(text, cues)
              if not any(0 <= h.start - hit.end <= 3 for h in named)}
    return levels.pop() if len(levels) == 1 else None


def _near(text: str, hit: Hit, words: tuple[str, ...]) -> bool:
    window = text[max(0, hit.start - 40):hit.end + 40]
    return any(w in window for w in words)


def perturbations(text: str, media: set[str]) -> Perturbations:
    """One ask per robustness condition named (each with its ladder: the level named next to it,
    the range asked, or DEFAULT_LADDER), for the media the request has. Generic robustness words
    ("degraded", "robust") name no condition: an uncertain ask stands in for them."""
    found: dict[str, list[Hit]] = {}
    for kind, cues in PERTURBATION_CUES.items():
        hits = [h for h in find(text, cues) if not h.negated]
        if hits:
            found[kind] = hits
    shared = {"noise", "noisy"}
    for kind in ("noise", "audio_noise"):  # the bare words "noise"/"noisy" go to the medium they are near
        if kind in found:
            keep = []
            for hit in found[kind]:
                if hit.cue not in shared:
                    keep.append(hit)
                    continue
                audio_side = _near(text, hit, _AUDIO_NEAR) or (media == {"audio"})
                image_side = _near(text, hit, _IMAGE_NEAR) or (media == {"image"})
                if (kind == "audio_noise" and audio_side and not (image_side and not _near(text, hit, _AUDIO_NEAR))) \
                        or (kind == "noise" and image_side and not audio_side):
                    keep.append(hit)
            found[kind] = keep
            if not keep:
                del found[kind]
    kinds_named = {kind: evidence_words(hits) for kind, hits in found.items()}
    ranged = _severity_range(text)
    overall = _global_severity(text, [h for hits in found.values() for h in hits])
    asks: list[Ask] = []
    for kind in (*IMAGE_KINDS, "audio_noise"):
        if kind not in found or (kind == "audio_noise" and "audio" not in media) or \
                (kind != "audio_noise" and "image" not in media):
            continue
        hits = found[kind]
        own = [level for level in (_severity_near(text, h) for h in hits) if level is not None]
        levels = own or ranged or ([overall] if overall else list(DEFAULT_LADDER))
        asks.append(perturbation_ask(kind, levels, evidence=evidence_words(hits)))
    if not asks:
        generic = [h for h in find(text, ROBUSTNESS_CUES) if not h.negated]
        levels = ranged or ([overall] if overall else list(DEFAULT_LADDER))
        stand_ins = [k for k, m in (("blur", "image"), ("audio_noise", "audio")) if m in media]
        for kind in stand_ins if generic else []:
            asks.append(perturbation_ask(
                kind, levels, evidence=evidence_words(generic), uncertain=True, confidence=0.4,
                why=" (the request asks for degraded inputs without naming how; review which conditions)"))
    return Perturbations(asks, kinds_named)


# --- options, format, difficulty ---------------------------------------------------------------

_COUNT = r"(\d{1,2}|" + "|".join(NUMBER_WORDS) + r")"


def option_count(text: str) -> Ask | None:
    patterns = (rf"\b{_COUNT}[\s-]+(?:answer\s+|response\s+|possible\s+|candidate\s+|written\s+|given\s+|"
                r"listed\s+|printed\s+|spoken\s+|text\s+|short\s+)?"
                r"(?:options?|choices?|alternatives?|candidates?|answer options?)\b",
                rf"\b{_COUNT}-way\b", r"\b(?:options?|choices?|letters?)\s+a\s*(?:-|to|through)\s*([b-j])\b",
                r"\ba,\s*b,\s*c,?\s*(?:and|or)\s*d\b")
    for pattern in patterns:
        match = re.search(pattern, text)
        if not match:
            continue
        raw = match.group(1) if match.groups() else "d"
        count = (int(raw) if raw.isdigit() else NUMBER_WORDS.get(raw) or ord(raw) - ord("a") + 1)
        if 2 <= count <= 10:
            return option_count_ask(count, evidence=[match.group(0)])
    return None


_FORMATS = (
    ("binary", ("yes/no", "yes or no", "yes-no", "true/false", "true or false questions", "binary answer*",
                "binary question*", "binary choice")),
    ("free_text", ("open-ended", "open ended", "free-form", "free form", "free text", "free-text",
                   "short answer*", "without options", "no options", "without answer options", "write the answer",
                   "generate the answer", "in its own words")),
    ("span", ("extractive", "answer span*", "span of the", "quote the answer", "copied from the text")),
    ("choice", ("multiple-choice", "multiple choice", "multichoice", "multi-choice", "mcq*", "choose among",
                "choose from", "pick from", "pick one of", "select one of")),
)


# Two answers named as the only ones: "whether the narrator's action is acceptable or wrong", "label
# each review as spam or not". The subject is what an item shows, never the model under test.
_ARTICLE = r"(?:(?:a|an|the)\s+)?"
_LABEL = r"([a-z][a-z'-]+)"
_PAIR_PATTERNS = (
    re.compile(r"\b(?:whether|if)\s+((?:[\w'-]+\s+){1,6}?)(?:is|was|are|were|seems?|looks?|sounds?|counts?\s+as|"
               rf"should\s+be|would\s+be)\s+(?:either\s+)?{_ARTICLE}{_LABEL}\s+or\s+{_ARTICLE}{_LABEL}\b"),
    re.compile(r"\b(?:classify|classifies|label|labels|mark|marks|judge|judges|rate|rates|tag|tags|flag|flags)\s+"
               r"((?:[\w'-]+\s+){0,5}?)as\s+(?:either\s+)?"
               rf"{_ARTICLE}{_LABEL}\s+or\s+{_ARTICLE}{_LABEL}\b"),
)
_NOT_LABELS = frozenset({"not", "no", "more", "less", "both", "neither", "other", "otherwise"})
_NOT_SUBJECTS = frozenset({"model", "models", "system", "systems", "llm", "llms", "it", "they", "we", "you"})


def binary_pair(text: str) -> Ask | None:
    """A binary answer format read from two named answers ("is X or Y", "as X or Y"); "X or not" asks
    yes or no. The labels are kept on the ask (params["labels"])."""
    for pattern in _PAIR_PATTERNS:
        for match in pattern.finditer(text):
            subject, first, second = match.group(1), match.group(2), match.group(3)
            if set(re.findall(r"[a-z]+", subject)) & _NOT_SUBJECTS:
                continue
            if first in STOPWORDS or first in _NOT_LABELS or (second in STOPWORDS and second != "not"):
                continue
            pair = f"{first} or {second}"
            if find(pair, (*ROBUSTNESS_CUES, *(c for cues in PERTURBATION_CUES.values() for c in cues))):
                continue  # conditions the inputs come in ("whether the page is blurred or downscaled")
            labels = [first, "not " + first] if second == "not" else [first, second]
            return answer_format_ask("binary", evidence=[pair], labels=labels)
    return None


def answer_formats(text: str) -> list[Ask]:
    asks = []
    for fmt, cues in _FORMATS:
        hits = [h for h in find(text, cues) if not h.negated or fmt == "free_text"]
        if hits:
            asks.append(answer_format_ask(fmt, evidence=evidence_words(hits)))
    if not any(a.params["format"] == "binary" for a in asks) and (pair := binary_pair(text)):
        asks.append(pair)
    return asks


_LEVELS = (
    ("hard", rf"\b(?:(?:very|really|extremely|truly)\s+)?(?:hard|difficult|challenging|tricky|tough|advanced|"
             rf"expert-level|graduate-level|olympiad-level|competition-level)\s+(?:[\w/-]+\s+){{0,2}}{_ITEM_NOUNS}\b"
             r"|\b(?:high|hard|highest)\s+difficulty\b|\bdifficulty\s*(?:level\s*)?(?::|of|=)?\s*hard\b"
             r"|\bas hard as possible\b|\bhardest\b"
             # the level said after the items: "make the items hard", "questions should be difficult"
             rf"|\b(?:make|keep)\s+(?:the\s+|all\s+|its\s+)?(?:{_ITEM_NOUNS}|them)\s+(?:(?:very|really)\s+)?"
             r"(?:hard|harder|difficult|challenging|tricky)\b"
             rf"|\b{_ITEM_NOUNS}\s+(?:should|must|need to|have to)\s+be\s+(?:(?:very|really)\s+)?"
             r"(?:hard|harder|difficult|challenging|tricky)\b"),
    ("easy", rf"\b(?:easy|simple|basic|beginner|elementary|introductory|entry-level)\s+"
             rf"(?:[\w/-]+\s+){{0,2}}{_ITEM_NOUNS}\b"
             r"|\b(?:low|easy)\s+difficulty\b|\bdifficulty\s*(?:level\s*)?(?::|of|=)?\s*easy\b"),
    ("medium", r"\b(?:medium|moderate|intermediate)\s+(?:difficulty|level)\b"
               rf"|\b(?:medium|moderate|intermediate)[\s-]+(?:difficulty\s+)?{_ITEM_NOUNS}\b"),
)


def difficulty(text: str) -> Ask | None:
    for level, pattern in _LEVELS:
        match = re.search(pattern, text)
        if match:
            return difficulty_ask(level, evidence=[match.group(0)])
    return None


# --- language, hints, adversarial options --------------------------------------------------------

_LANGUAGE_NOUNS = r"(?:text|texts|questions?|speech|sentences?|tweets?|posts?|reviews?|news|recordings?|audio|" \
                  r"documents?|articles?|dialogues?|conversations?|speakers?|language|items?|words?|passages?)"


_DENIED_BEFORE = re.compile(r"(?:^|[\s,;:(])(?:" + "|".join(sorted(NEGATORS)) + r")\s+(?:any\s+)?$")


def languages(text: str) -> list[Ask]:
    """Languages the items must be in: named ones ("in German", "French tweets") and mixes
    ("several languages"). A translation request names its languages as part of the skill."""
    multi = [h for h in find(text, MULTILINGUAL) if not h.negated]
    if multi:
        return [language_ask(MULTI_LANGUAGE, evidence=evidence_words(multi))]
    if re.search(r"\btranslat", text):
        return []
    names = "|".join(LANGUAGES)
    listed = rf"(?:{names})(?:\s*,\s*(?:{names}))*(?:,?\s+(?:or|and)\s+(?:{names}))?"
    asks: list[Ask] = []
    for pattern in (rf"\b(?:in|into)\s+({listed})\b(?!\s+(?:history|culture|art|literature|food|cuisine))",
                    rf"\b({names})[\s-]+{_LANGUAGE_NOUNS}\b", rf"\b({names})-speaking\b"):
        for match in re.finditer(pattern, text):
            if _DENIED_BEFORE.search(text[max(0, match.start() - 30):match.start()]):
                continue  # "no English recordings", "not in French": a language the items must not be in
            named = re.findall(rf"\b(?:{names})\b", match.group(1))
            codes = list(dict.fromkeys(LANGUAGES[n] for n in named))
            if any(a.params["language"] == codes[0] for a in asks):
                continue
            ask = language_ask(codes[0], name=named[0].capitalize(), evidence=[match.group(0)])
            if len(codes) > 1:  # "in English, French or German": an item in any of them
                ask = ask.model_copy(update={"key": "language:" + "-".join(codes),
                                             "text": "items in " + _alternatives([n.capitalize() for n in named]),
                                             "params": {**ask.params, "any_of": codes}})
            asks.append(ask)
    return asks


def _alternatives(names: list[str]) -> str:
    names = list(dict.fromkeys(names))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


_HINTS = (
    r"\b(?:no|without|never|not|free of)\s+(?:any\s+|providing\s+|giving\s+|including\s+)?(?:explicit\s+|obvious\s+)?"
    r"(?:textual|text|written|word|verbal)\s+(?:hints?|clues?|cues?|giveaways?|help)\b",
    r"\b(?:no|without|never)\s+(?:providing\s+|giving\s+|any\s+|including\s+)?(?:explicit\s+)?"
    r"(?:metadata|captions?|titles?|labels? in the image)\b",
    r"\b(?:textual|text)\s+(?:hints?|clues?|cues?)\s+(?:are|is)\s+(?:not|never)\b",
    r"\b(?:text|question|prompt|caption|wording)s?\s+(?:gives?|contains?|offers?|provides?|has|have)\s+no\s+"
    r"(?:hints?|clues?|cues?|giveaways?)\b",
    r"\b(?:question|prompt|text|wording)s?\s+(?:must|should|may)\s+(?:not|never)\s+(?:name|names|describe|mention|"
    r"reveal|say)\b",
    r"\bwithout\s+(?:any\s+)?text\s+(?:in|on)\s+the\s+(?:image|picture)s?\b",
)


def no_textual_hints(text: str) -> Ask | None:
    words = [m.group(0) for p in _HINTS for m in re.finditer(p, text)]
    return no_textual_hints_ask(evidence=sorted(set(words), key=text.find)) if words else None


_ADVERSARIAL = (
    r"\b(?:options?|choices?|distractors?|alternatives?|wrong answers?)\b[^.;]{0,40}?\b(?:keywords?|key words?|"
    r"word overlap|lexical overlap|surface (?:cues?|features?|matching)|string match\w*|pattern match\w*|"
    r"shortcuts?)\b",
    r"\b(?:keywords?|key words?|word overlap|lexical overlap)\b[^.;]{0,60}?\b(?:does not|doesn't|cannot|can't|"
    r"won't|never|not)\b[^.;]{0,30}?\b(?:reveal|give|find|tell|betray|leak|expose)\w*",
    r"\b(?:adversarial|hard|confusable|tricky|misleading|deceptive|near-miss|challenging|plausible)\s+"
    r"(?:options|distractors|choices|alternatives|wrong answers)\b",
)


def adversarial_options(text: str) -> Ask | None:
    words = [m.group(0) for p in _ADVERSARIAL for m in re.finditer(p, text)]
    return adversarial_options_ask(evidence=sorted(set(words), key=text.find)) if words else None


# --- knowledge links -------------------------------------------------------------------------------

_FIELDS = ("capital", "capital city", "currency", "population", "continent", "official language", "language",
           "president", "head of state", "leader", "ruler", "author", "artist", "painter", "composer", "director",
           "inventor", "founder", "birthplace", "place of birth", "birth year", "year", "date", "origin", "location",
           "country", "city", "region", "anthem", "habitat", "diet", "family", "genus", "height", "area", "age",
           "manufacturer", "maker", "owner", "period", "style", "movement", "nationality", "meaning")
_ENTITIES = ("country", "countries", "nation", "state", "city", "artist", "painter", "painting", "artwork", "author",
             "book", "species", "animal", "bird", "plant", "person", "landmark", "building", "company", "brand",
             "car", "element", "planet", "team", "film", "movie", "song", "word", "monument", "river", "mountain",
             "composer", "dish", "product", "logo")
_CARRIERS = {"flag", "image", "picture", "photo", "logo", "icon", "recording", "map"}
_STOP = {"too", "also", "as", "well", "of", "in", "from", "and", "or", "for", "that", "which", "it", "is", "are",
         "with", "to", "by", "on", "at", "the", "a", "an"}


def _subject_before(text: str, position: int, *, field: str = "") -> str:
    """The entity the item is about: the last one named before the link (not the linked field itself:
    "a painting without its artist ... ask about the artist" links the painting to its artist)."""
    words = re.findall(r"[a-z]+", text[:position])
    for word in reversed(words):
        single = word[:-1] if word.endswith("s") and word[:-1] in _ENTITIES else word
        if word in _CARRIERS or single in _CARRIERS or single == field:
            continue
        if single in _ENTITIES:
            return "country" if single in ("countries", "nation") else single
    return ""


def knowledge_links(text: str) -> list[Ask]:
    """Second hops from what an item shows: "...and name its capital", "and the capital of that
    country", "and its currency"."""
    fields = "|".join(sorted((re.escape(f) for f in _FIELDS), key=len, reverse=True))
    patterns = (
        r"\b(?:and|then|also|,)\s+(?:also\s+)?(?:to\s+)?(?:name|names|naming|give|gives|giving|state|states|say|"
        r"tell|tells|identify|identifies|provide|provides|recall|recalls|know|knows|report|reports|answer with|"
        r"find|finds|retrieve|retrieves)\s+(?:its|their|the|his|her|that|this)\s+(?:\w+'s\s+)?([a-z]+(?:\s+[a-z]+)?)",
        rf"\band\s+(?:also\s+)?(?:its|their)\s+({fields})\b",
        rf"\b(?:and|then)\s+(?:also\s+)?(?:the|its)\s+({fields})\s+of\s+(?:that|this|the|its|each)\s+([a-z]+)",
        # "...and ask about the artist's life": a question about something the item does not show
        rf"\b(?:ask|asks|asked|asking|questions?)\s+(?:\w+\s+){{0,2}}?(?:about|for)\s+(?:the|its|their)\s+({fields})\b",
    )
    asks: list[Ask] = []
    for i, pattern in enumerate(patterns):
        for match in re.finditer(pattern, text):
            words = [w for w in match.group(1).split()]
            field_words: list[str] = []
            for w in words:
                if w in _STOP:
                    break
                field_words.append(w)
            field = " ".join(field_words)
            if not field or (i == 0 and field.split()[0] not in {f.split()[0] for f in _FIELDS}):
                continue
            of = match.group(2) if i == 2 else _subject_before(text, match.start(), field=field)
            ask = knowledge_link_ask(field, of, evidence=[match.group(0).strip(" ,")])
            if not any(a.key == ask.key for a in asks):
                asks.append(ask)
    return asks


# The kind of text a request's items are read from, when it names one: (name, the request's words for
# it, the words a dataset's card uses for it). Longest first: "product reviews" before "reviews".
MATERIALS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("product reviews", ("product reviews", "product review", "customer reviews", "customer review",
                         "amazon reviews", "reviews of products"), ("product review*", "customer review*", "amazon")),
    ("movie reviews", ("movie reviews", "movie review", "film reviews", "film review", "reviews of movies",
                       "reviews of films"), ("movie*", "film*", "imdb")),
    ("restaurant reviews", ("restaurant reviews", "restaurant review", "hotel reviews", "hotel review"),
     ("restaurant*", "hotel*", "yelp")),
    ("news", ("news", "news stories", "news articles", "news passages", "news passage", "news reports",
              "newspaper*", "headlines", "newswire"), ("news*", "newspaper*", "headline*", "press")),
    ("tweets", ("tweets", "tweet", "twitter"), ("tweet*", "twitter")),
    ("social media posts", ("social media", "social-media"), ("social media", "tweet*", "twitter", "reddit")),
    ("emails", ("emails", "email", "e-mails", "e-mail"), ("email*", "e-mail*")),
    ("scientific papers", ("scientific papers", "research papers", "scientific articles", "paper abstracts",
                           "scientific abstracts"), ("scientific", "research paper*", "abstract*", "arxiv", "pubmed")),
    ("legal documents", ("legal documents", "legal texts", "contracts", "court rulings", "court decisions"),
     ("legal", "contract*", "court*")),
    ("clinical notes", ("clinical notes", "medical records", "patient notes", "discharge summaries"),
     ("clinical", "medical record*", "patient*")),
    ("recipes", ("recipes", "recipe"), ("recipe*", "cooking")),
)


def materials(text: str) -> list[Ask]:
    """The material the items are read from, when the request names one (the most specific one it
    names: "product reviews", not "reviews")."""
    for name, said, card_cues in MATERIALS:
        hits = [h for h in find(text, said) if not h.negated]
        if hits:
            return [material_ask(name, card_cues=list(card_cues), evidence=[hits[0].words])]
    return []
