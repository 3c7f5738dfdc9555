"""The offline brain: each Planner role done for real without an LLM, deterministically.

Scope reads the request into explicit asks (agents.offline.analysis: lexicons, MiniLM embeddings
when an embedder is given, decisions by the weight of evidence); Design proposes one subtask per
capability ask (a taxonomy capability's, or one in the request's own words for a skill no
capability names), each naming the ask it serves, and revises the proposal from grounding and
allocation feedback: a capability no dataset grounds is tried once more in the request's own words
(the team's own dataset may say it that way), never replaced by a skill the request did not ask
for. Assess scores candidates by rules (search score, plan length, template risk, dry-run
failures)."""
from __future__ import annotations

import math
import re

from agents.offline import ENGINE
from agents.offline.lexical import BM25, stem, tokens
from agents.offline.scope import scope_parse
from agents.offline.taxonomy import BY_KEY, CAPABILITIES, Capability
from agents.planner.asks import slug
from agents.planner.brain import CandidateView, DesignOutcome, Feedback, Judgement
from agents.planner.grounding import offline_judgement
from agents.planner.search import media_of
from agents.tools.embedding import Embedder
from agents.types import Ask, BuildRequest, Decision, Scope, SubtaskDraft

MAX_SUBTASKS = 3
W_LEXICAL, W_SEMANTIC = 0.5, 0.5
_QUESTION_MEDIUM = {"speech": "audio", "image": "image"}
_QUESTION_SYNTHESIS = {"speech": "speech", "image": "render"}

Ranked = tuple[float, Capability, dict[str, float], list[str]]


def _slug(text: str) -> str:
    return slug(text) or "subtask"


def skill_media(scope: Scope) -> frozenset[str]:
    """The media the skill itself works on: the scope's, less the medium the question travels in
    (a question asked aloud makes the audio; the skill may be a text one)."""
    media = set(media_of(scope.modalities))
    for ask in scope.asks:
        if ask.kind == "question_modality":
            media.discard(_QUESTION_MEDIUM.get(ask.params.get("modality", ""), ""))
    return frozenset(media)


def question_synthesis(scope: Scope) -> list[str]:
    return [_QUESTION_SYNTHESIS[a.params["modality"]] for a in scope.asks
            if a.kind == "question_modality" and a.params.get("modality") in _QUESTION_SYNTHESIS]


class OfflineBrain:
    engine = ENGINE

    def __init__(self, *, embedder: Embedder | None = None, max_subtasks: int = MAX_SUBTASKS) -> None:
        self.embedder = embedder
        self.max_subtasks = max_subtasks
        self._ranking: list[Ranked] | None = None
        self._tried: set[str] = set()
        self._own_words_tried: set[str] = set()  # capability asks already tried in the request's own words

    # --- scope -----------------------------------------------------------------------------------

    def scope(self, request: BuildRequest) -> Scope:
        return scope_parse(request, embedder=self.embedder)

    # --- design ----------------------------------------------------------------------------------

    def _rank(self, request: BuildRequest, scope: Scope) -> list[Ranked]:
        """Capabilities of the skill's media, best match first: (score, capability, parts, matched
        words). The scores weigh the subtasks (importance) and explain them; the asks choose them."""
        if self._ranking is not None:
            return self._ranking
        media = skill_media(scope)
        pool = [c for c in CAPABILITIES if c.media == media]
        if not pool:
            self._ranking = []
            return self._ranking
        query = tokens(request.text)
        index = BM25([tokens(c.document()) for c in pool])
        raw = [index.score(query, i) for i in range(len(pool))]
        best = max(raw)
        semantic = [0.0] * len(pool)
        if self.embedder is not None:
            vectors = self.embedder.embed([request.text] + [c.document() for c in pool])
            q = vectors[0]
            qn = math.sqrt(sum(x * x for x in q)) or 1.0
            for i, v in enumerate(vectors[1:]):
                vn = math.sqrt(sum(x * x for x in v)) or 1.0
                semantic[i] = max(0.0, sum(a * b for a, b in zip(q, v, strict=True)) / (qn * vn))
        surface: dict[str, str] = {}
        for word in re.findall(r"[a-z0-9]+", request.text.lower()):
            surface.setdefault(stem(word), word)
        ranking = []
        for i, capability in enumerate(pool):
            lexical = raw[i] / best if best > 0 else 0.0
            score = W_LEXICAL * lexical + W_SEMANTIC * semantic[i] if self.embedder is not None else lexical
            matched = [surface.get(t, t) for t in index.matched_terms(query, i)]
            ranking.append((score, capability, {"lexical": round(lexical, 4), "semantic": round(semantic[i], 4),
                                                "bm25": round(raw[i], 4)}, matched))
        ranking.sort(key=lambda t: (-t[0], t[1].key))
        self._ranking = ranking
        return ranking

    def _draft(self, capability: Capability, ask: Ask, request: BuildRequest, scope: Scope) -> SubtaskDraft:
        ranked = next((r for r in self._rank(request, scope) if r[1].key == capability.key), None)
        score, parts, matched = (ranked[0], ranked[2], ranked[3]) if ranked else (
            ask.confidence, {"lexical": 0.0, "semantic": 0.0}, [])
        # One part of a request in parts takes only its own medium (and the question's).
        modalities = scope.modalities
        if capability.media and capability.media < skill_media(scope):
            modalities = sorted({"text", *capability.media, *(set(media_of(scope.modalities)) - skill_media(scope))})
        if "media" in ask.params:  # a part of a request in parts: the media that part names
            modalities = sorted({"text", *ask.params["media"]})
        schema = {"question": "text", "options": "list[text]", "answer": "text"}
        for medium in sorted(media_of(modalities)):
            schema[medium] = medium
        words = ", ".join(ask.evidence[:6]) or "none (close in meaning)"
        synthesis = (["speech"] if capability.speech_from_text else []) + (
            ["render"] if capability.render_from_text else [])
        synthesis += [s for s in question_synthesis(scope) if s not in synthesis]
        if not capability.media and skill_media(scope) == {"audio"} and not capability.speech_from_text:
            # A text skill over spoken inputs ("play a spoken post and ask its sentiment"): its
            # datasets' passages are read aloud.
            synthesis.append("spoken_passage")
        return SubtaskDraft(
            key=capability.key, name=capability.name, description=capability.description,
            answer_type=capability.answer_type, modalities=modalities,  # type: ignore[arg-type]
            keywords=list(dict.fromkeys(matched + [w for w in scope.keywords if w not in matched]))[:8],
            sample_schema=schema, importance=max(round(score, 4), 0.01), roles=list(capability.roles),
            synthesis=synthesis,  # type: ignore[arg-type]
            rationale=(f"The request asks for {capability.name.lower()} (its words: {words}); taxonomy match "
                       f"{score:.2f} (lexical {parts['lexical']:.2f}, semantic {parts['semantic']:.2f})."),
            serves=[ask.key])

    def _own_words(self, asks: list[Ask], request: BuildRequest, scope: Scope, *, why: str) -> SubtaskDraft:
        """A subtask in the request's own words, serving these asks: for a skill no capability names,
        or for one whose capability found no dataset (the team's own data may use the request's words)."""
        custom = next((a for a in asks if a.params.get("capability") == "custom"), None)
        # A part of a request in parts takes the media that part names, not the whole request's.
        part = next((a for a in asks if "media" in a.params), None)
        modalities = sorted({"text", *part.params["media"]}) if part else scope.modalities
        schema = {"question": "text", "options": "list[text]", "answer": "text"}
        for medium in sorted(media_of(modalities)):
            schema[medium] = medium
        # Named after the words that asked its skill (a retried taxonomy skill's too), not the request's
        # first keywords, which may belong to another skill of the request.
        asked = list(dict.fromkeys(w for a in asks for phrase in a.evidence for w in phrase.split()
                                   if not phrase.startswith("(")))
        others = {w for a in scope.asks if a.kind == "capability" and a not in asks for phrase in a.evidence
                  for w in phrase.split()}
        if not custom and len(asked) < 2:  # padded with the request's keywords no other skill claimed
            asked += [k for k in scope.keywords if k not in others and k not in asked][:4 - len(asked)]
        words = (custom.evidence if custom else asked) or scope.keywords[:4]
        key = _slug(" ".join(words[:4]))
        if key in BY_KEY or key in self._tried:
            key = _slug(f"request {key}")
        name = " ".join(words[:4]).capitalize() or "The request's skill"
        description = " ".join(request.text.split())[:1200] or scope.topic
        # Text rendered as an image is faithful only to a skill of reading text in images (a taxonomy
        # capability says so); a skill in the request's own words gets the media its datasets have.
        synthesis = question_synthesis(scope)
        return SubtaskDraft(key=key, name=name[:120], description=description,
                            modalities=modalities,  # type: ignore[arg-type]
                            keywords=list(dict.fromkeys([*words, *scope.keywords]))[:8], sample_schema=schema,
                            importance=1.0, roles=["question", "answer"],
                            synthesis=synthesis,  # type: ignore[arg-type]
                            rationale=why, serves=[a.key for a in asks])

    def _proposals(self, request: BuildRequest, scope: Scope) -> list[SubtaskDraft]:
        """One subtask per capability ask, in the analysis's order (strongest evidence first)."""
        asks = [a for a in scope.asks if a.kind == "capability"]
        # A skill asked within another ("time in conversations") is one subtask serving both: the
        # other is where its items come from, not a part of its own.
        by_key = {a.key: a for a in asks}
        settings = {a.params["within"] for a in asks if a.params.get("within")}
        drafts: list[SubtaskDraft] = []
        for ask in asks:
            if ask.key in settings:
                continue
            if len(drafts) >= self.max_subtasks:
                break
            capability = BY_KEY.get(ask.params.get("capability", ""))
            part_media = frozenset(ask.params["media"]) if "media" in ask.params else None
            if capability is not None and (capability.media == skill_media(scope) or capability.media == part_media
                                           or (capability.media and capability.media < skill_media(scope))
                                           or (not capability.media and skill_media(scope) == {"audio"})):
                draft = self._draft(capability, ask, request, scope)
                if ask.params.get("within") in by_key:
                    draft = _within(draft, by_key[ask.params["within"]])
                drafts.append(draft)
            else:
                self._own_words_tried.add(ask.key)
                drafts.append(self._own_words([ask], request, scope, why=(
                    "No capability of the taxonomy names this skill; the subtask keeps the request's own words.")))
        if not drafts:  # a scope without capability asks (the loop then adds the request's own)
            drafts.append(self._own_words([], request, scope, why="The subtask keeps the request's own words."))
        # The most central skill first (how closely the request matches each capability's description).
        return sorted(drafts, key=lambda d: -d.importance)

    def design(self, *, request: BuildRequest, scope: Scope, round_no: int, current: list[SubtaskDraft],
               feedback: list[Feedback]) -> DesignOutcome:
        decisions: list[Decision] = []
        if round_no == 1 or not current:
            subtasks = [d for d in self._proposals(request, scope) if d.key not in self._tried]
            for s in subtasks:
                self._tried.add(s.key)
                decisions.append(Decision(round=round_no, action="propose", key=s.key, rationale=s.rationale))
            return DesignOutcome(subtasks=subtasks, decisions=decisions)

        subtasks = list(current)
        failed = {f.key: f.detail for f in feedback if f.kind == "ungroundable"}
        asks = {a.key: a for a in scope.asks if a.kind == "capability"}
        retry: list[tuple[list[Ask], str]] = []
        for key, detail in failed.items():
            dropped = next((s for s in subtasks if s.key == key), None)
            subtasks = [s for s in subtasks if s.key != key]
            decisions.append(Decision(round=round_no, action="discard", key=key,
                                      rationale=f"Grounding found no dataset for it: {detail}"))
            for ask_key in dropped.serves if dropped else []:
                if ask_key in asks and ask_key not in self._own_words_tried and not any(
                        ask_key in s.serves for s in subtasks):
                    self._own_words_tried.add(ask_key)
                    retry.append(([asks[ask_key]], f"Tries {key} again in the request's own words, which the "
                                                   f"pool's cards may use: {detail}"))
        for served, why in retry:
            if len(subtasks) >= self.max_subtasks:
                break
            draft = self._own_words(served, request, scope, why=why)
            if draft.key in self._tried:
                continue
            self._tried.add(draft.key)
            subtasks.append(draft)
            decisions.append(Decision(round=round_no, action="propose", key=draft.key, rationale=draft.rationale))
        for s in subtasks:
            if not any(d.key == s.key for d in decisions):
                decisions.append(Decision(round=round_no, action="keep", key=s.key, rationale="Grounded last round."))
        return DesignOutcome(subtasks=subtasks, decisions=decisions)

    # --- grounding -------------------------------------------------------------------------------

    def assess_many(self, *, request: BuildRequest,
                    batch: list[tuple[SubtaskDraft, list[CandidateView]]]) -> list[dict[str, Judgement]]:
        return [{c.slug: offline_judgement(c) for c in candidates} for _, candidates in batch]


def _within(draft: SubtaskDraft, setting: Ask) -> SubtaskDraft:
    """The subtask of a skill asked within another's material: it serves both, searches with both."""
    name = setting.text.split(" (")[0]
    return draft.model_copy(update={
        "name": f"{draft.name} within {name}"[:120], "serves": [*draft.serves, setting.key],
        "description": f"{draft.description} Asked within {name}: every item has both.",
        "keywords": list(dict.fromkeys([*setting.evidence, *draft.keywords]))[:8],
        "rationale": f"{draft.rationale} The request asks it within {name} ({', '.join(setting.evidence[:4])}), "
                     f"so one subtask serves both and only datasets with both serve it in full."})
