"""The offline brain: each Planner role done for real without an LLM, deterministically.

Scope reads the request by rules; Design matches the request against the capability taxonomy
(BM25, plus MiniLM embeddings when an embedder is given) and revises its proposal from grounding
and allocation feedback; Assess scores candidates by rules (search score, plan length, template
risk, dry-run failures)."""
from __future__ import annotations

import math
import re

from agents.offline import ENGINE
from agents.offline.lexical import BM25, stem, tokens
from agents.offline.scope import scope_parse
from agents.offline.taxonomy import CAPABILITIES, Capability
from agents.planner.brain import CandidateView, DesignOutcome, Feedback, Judgement
from agents.planner.grounding import offline_judgement
from agents.planner.search import media_of
from agents.tools.embedding import Embedder
from agents.types import BuildRequest, Decision, Scope, SubtaskDraft

MAX_SUBTASKS = 3
RELATIVE_FLOOR = 0.5  # a capability joins the design when it scores at least this share of the best
GAP_FLOOR = 0.25  # to fill an allocation gap, a weaker capability may join
W_LEXICAL, W_SEMANTIC = 0.5, 0.5
MEDIA_MARGIN = 1.5  # a media capability must match this much better than any text one to add its media


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "subtask"


class OfflineBrain:
    engine = ENGINE

    def __init__(self, *, embedder: Embedder | None = None, max_subtasks: int = MAX_SUBTASKS) -> None:
        self.embedder = embedder
        self.max_subtasks = max_subtasks
        self._ranking: list[tuple[float, Capability, dict[str, float], list[str]]] | None = None
        self._tried: set[str] = set()

    # --- scope -----------------------------------------------------------------------------------

    def scope(self, request: BuildRequest) -> Scope:
        """Rules read the request; when they find no media word but the request matches a capability
        that needs media far better than any text capability ("which country a flag belongs to"),
        that capability's media join the scope."""
        scope = scope_parse(request)
        if not scope.modalities_inferred or scope.modalities != ["text"]:
            return scope
        query = tokens(request.text)
        index = BM25([tokens(c.document()) for c in CAPABILITIES])
        scores = [(index.score(query, i), c) for i, c in enumerate(CAPABILITIES)]
        best_text = max((score for score, c in scores if not c.media), default=0.0)
        score, top = max(scores, key=lambda t: (t[0], t[1].key))
        if top.media and score > MEDIA_MARGIN * best_text:
            scope = scope.model_copy(update={"modalities": sorted({"text", *top.media})})
        return scope

    # --- design ----------------------------------------------------------------------------------

    def _rank(self, request: BuildRequest, scope: Scope) -> list[tuple[float, Capability, dict[str, float], list[str]]]:
        """Capabilities with the scope's media, best match first: (score, capability, parts, matched words)."""
        if self._ranking is not None:
            return self._ranking
        media = media_of(scope.modalities)
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
            if raw[i] <= 0 and semantic[i] < 0.3:
                continue  # shares no word with the request and is not close in meaning either
            matched = [surface.get(t, t) for t in index.matched_terms(query, i)]
            ranking.append((score, capability, {"lexical": round(lexical, 4), "semantic": round(semantic[i], 4),
                                                "bm25": round(raw[i], 4)}, matched))
        ranking.sort(key=lambda t: (-t[0], t[1].key))
        self._ranking = ranking
        return ranking

    def _draft(self, capability: Capability, score: float, parts: dict[str, float], matched: list[str],
               scope: Scope) -> SubtaskDraft:
        schema = {"question": "text", "options": "list[text]", "answer": "text"}
        for medium in sorted(capability.media):
            schema[medium] = medium
        words = ", ".join(matched[:6]) or "none (close in meaning)"
        return SubtaskDraft(
            key=capability.key, name=capability.name, description=capability.description,
            answer_type=capability.answer_type, modalities=scope.modalities,  # type: ignore[arg-type]
            keywords=(matched + [w for w in scope.keywords if w not in matched])[:8], sample_schema=schema,
            importance=max(round(score, 4), 0.01), roles=list(capability.roles),
            synthesis=(["speech"] if capability.speech_from_text else []) + (["render"] if capability.render_from_text
                                                                              else []),
            rationale=(f"The request matches the taxonomy capability {capability.name!r} "
                       f"(score {score:.2f}: lexical {parts['lexical']:.2f}, semantic {parts['semantic']:.2f}); "
                       f"shared words: {words}."))

    def _custom(self, request: BuildRequest, scope: Scope) -> SubtaskDraft:
        """A subtask in the request's own words, when no capability of the taxonomy matches it."""
        schema = {"question": "text", "options": "list[text]", "answer": "text"}
        for medium in sorted(media_of(scope.modalities)):
            schema[medium] = medium
        name = " ".join(scope.keywords[:3]).capitalize() or "Custom subtask"
        return SubtaskDraft(key=_slug(" ".join(scope.keywords[:3])) or "custom", name=name,
                            description=scope.topic, modalities=scope.modalities,  # type: ignore[arg-type]
                            keywords=scope.keywords[:8], sample_schema=schema, importance=1.0,
                            roles=["question", "answer"],
                            rationale="No capability of the taxonomy matches the request; the subtask keeps "
                                      "the request's own words.")

    def design(self, *, request: BuildRequest, scope: Scope, round_no: int, current: list[SubtaskDraft],
               feedback: list[Feedback]) -> DesignOutcome:
        ranking = self._rank(request, scope)
        best = ranking[0][0] if ranking else 0.0
        decisions: list[Decision] = []
        if round_no == 1 or not current:
            chosen = [r for r in ranking if r[0] >= best * RELATIVE_FLOOR][:self.max_subtasks]
            subtasks = [self._draft(cap, score, parts, matched, scope) for score, cap, parts, matched in chosen]
            if not subtasks and "custom" not in self._tried:
                subtasks = [self._custom(request, scope)]
                self._tried.add("custom")
            for s in subtasks:
                self._tried.add(s.key)
                decisions.append(Decision(round=round_no, action="propose", key=s.key, rationale=s.rationale))
            return DesignOutcome(subtasks=subtasks, decisions=decisions)

        subtasks = list(current)
        failed = {f.key: f.detail for f in feedback if f.kind == "ungroundable"}
        gap = next((f for f in feedback if f.kind == "allocation-gap"), None)
        for key, detail in failed.items():
            subtasks = [s for s in subtasks if s.key != key]
            decisions.append(Decision(round=round_no, action="discard", key=key,
                                      rationale=f"Grounding found no dataset for it: {detail}"))
        floor = GAP_FLOOR if gap else RELATIVE_FLOOR
        wanted = (self.max_subtasks - len(subtasks)) if failed else (1 if gap else 0)
        for score, cap, parts, matched in ranking:
            if wanted <= 0 or len(subtasks) >= self.max_subtasks + (1 if gap else 0):
                break
            if cap.key in self._tried or score < best * floor:
                continue
            draft = self._draft(cap, score, parts, matched, scope)
            why = (f"Added for supply: the grounded subtasks leave {gap.gap} of the target unfilled. "
                   if gap else f"Replaces {', '.join(failed)}, which the pool could not ground. ")
            draft = draft.model_copy(update={"rationale": why + draft.rationale})
            subtasks.append(draft)
            self._tried.add(cap.key)
            wanted -= 1
            decisions.append(Decision(round=round_no, action="propose", key=draft.key, rationale=draft.rationale))
        if not subtasks and "custom" not in self._tried:
            custom = self._custom(request, scope)
            self._tried.add("custom")
            subtasks.append(custom)
            decisions.append(Decision(round=round_no, action="propose", key=custom.key, rationale=custom.rationale))
        for s in subtasks:
            if not any(d.key == s.key for d in decisions):
                decisions.append(Decision(round=round_no, action="keep", key=s.key, rationale="Grounded last round."))
        return DesignOutcome(subtasks=subtasks, decisions=decisions)

    # --- grounding -------------------------------------------------------------------------------

    def assess_many(self, *, request: BuildRequest,
                    batch: list[tuple[SubtaskDraft, list[CandidateView]]]) -> list[dict[str, Judgement]]:
        return [{c.slug: offline_judgement(c) for c in candidates} for _, candidates in batch]
