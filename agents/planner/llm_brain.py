"""The LLM brain: Scope, Design and the grounding judge asked of an OpenAI-compatible model.

Prompts are template files beside this module (prompts/*.md). Dataset text that enters a prompt
(card descriptions, example items made from records) is fenced and labelled as data. Replies are
validated against pydantic schemas (one repair round in the client); the plans' operators stay
rule-written and their dry runs measured, so the model judges plans but cannot invent capacity.
Every call is checked against the request's budget first."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model, field_validator

from agents.llm import LLMError, LLMOutputError, LLMRequest, fence_data
from agents.offline.analysis import analyse, basic_problems
from agents.planner.ask_reply import AskReply, asks_from_reply
from agents.planner.brain import CandidateView, DesignOutcome, Feedback, Judgement
from agents.planner.budget import Budget
from agents.planner.grounding import offline_judgement
from agents.tools.screen import unreadable
from agents.ports import LLM
from agents.types import BuildRequest, Decision, Modality, Perturbation, Scope, SubtaskDraft

Problem = Annotated[str, Field(min_length=1, max_length=300)]


def _readable(text: str, min_words: int) -> str:
    """A model's free text must be language: a small model fills a field with "audiobrai" or
    "1.0.0.0", which would end a plan as `unclear-request` or title a benchmark."""
    problem = unreadable(text, min_words=min_words)
    if problem:
        raise ValueError(problem)
    return text

ENGINE = "llm"
PROMPTS = Path(__file__).with_name("prompts")
MAX_SUBTASKS = 3


def prompt(name: str, **values: object) -> str:
    return Template((PROMPTS / f"{name}.md").read_text(encoding="utf-8")).substitute(
        {k: str(v) for k, v in values.items()})


class ScopeReply(BaseModel):
    topic: str = Field(min_length=1, max_length=300)
    modalities: list[Modality] = Field(min_length=1, max_length=3)  # a grammar bounds it: no ["audio", "audio", ...]
    keywords: list[str] = Field(default_factory=list, max_length=12)
    asks: list[AskReply] = Field(default_factory=list, max_length=16)
    problems: list[Problem] = Field(default_factory=list, max_length=4)  # why the request cannot be planned
    rationale: str = ""

    @field_validator("topic")
    @classmethod
    def _topic_is_language(cls, value: str) -> str:
        return _readable(value, 1)

    @field_validator("problems")
    @classmethod
    def _problems_are_reasons(cls, value: list[str]) -> list[str]:
        """A reason a request cannot be planned is a sentence ("it names no skill"), not a token."""
        return [_readable(problem, 3) for problem in value]


class DecisionReply(BaseModel):
    action: Literal["propose", "revise", "keep", "discard"]
    key: str
    rationale: str


class DesignReply(BaseModel):
    subtasks: list[SubtaskDraft] = Field(max_length=6)
    decisions: list[DecisionReply] = Field(default_factory=list)


class ScoreReply(BaseModel):
    dataset: str
    alignment: float = Field(ge=0, le=1)
    simplicity: float = Field(ge=0, le=1)
    risk: float = Field(ge=0, le=1)
    rationale: str = ""


class AssessReply(BaseModel):
    scores: list[ScoreReply]


@lru_cache(maxsize=128)
def assess_schema(slugs: tuple[str, ...]) -> type[AssessReply]:
    """The judge's reply schema for these candidates: `dataset` one of their slugs (an enum the
    server's grammar holds a small model to: it wrote "card_causal-reasoning" for a slug), at most
    one score per candidate."""
    score = create_model("ScoreReply", __base__=ScoreReply, dataset=(Literal[slugs], ...))  # type: ignore[valid-type]
    return create_model("AssessReply", __base__=AssessReply,
                        scores=(list[score], Field(max_length=len(slugs))))  # type: ignore[valid-type]


class LLMBrain:
    engine = ENGINE

    def __init__(self, llm: LLM, *, budget: Budget | None = None, max_subtasks: int = MAX_SUBTASKS,
                 fallback: Any = None) -> None:
        """`fallback`: a brain (the offline one) that does a step whose reply could not be validated
        even after the repair round (LLM_FALLBACK=offline); None: such a reply fails the run."""
        self.llm = llm
        self.budget = budget or Budget()
        self.max_subtasks = max_subtasks
        self.fallback = fallback
        self.notes: list[str] = []  # what fell back to rules, for the trace

    def _fall_back(self, step: str, exc: LLMOutputError) -> None:
        """Say that the offline rules do this step instead; re-raise without a fallback."""
        if self.fallback is None:
            raise exc
        first = str(exc).split("; raw reply:")[0]
        self.notes.append(f"{step}: the model's reply could not be validated ({first}); the offline rules did "
                          f"this step (LLM_FALLBACK=offline)")

    def _ask(self, role: str, system: str, user: str, schema: type[BaseModel]):
        self.budget.check()
        return self.llm.complete([{"role": "system", "content": system}, {"role": "user", "content": user}],
                                 schema, role=role).value

    # --- scope -----------------------------------------------------------------------------------

    def scope(self, request: BuildRequest) -> Scope:
        """The model reads the request into its asks; a request too short to read (empty, one word)
        is answered without a call."""
        too_short = basic_problems(request.text)
        if too_short:
            return Scope(topic=" ".join(request.text.split())[:120] or "(empty request)",
                         modalities=sorted(set(request.modalities) | {"text"}), keywords=[],  # type: ignore[arg-type]
                         target_size=request.target_size, modalities_inferred=not request.modalities,
                         problems=too_short)
        asked = f"Requested modalities: {sorted(request.modalities)}" if request.modalities else \
            "No modalities were named; infer them from the request."
        try:
            reply: ScopeReply = self._ask("scope", prompt("scope"), f"Request:\n{request.text}\n\n{asked}", ScopeReply)
        except LLMOutputError as exc:
            self._fall_back("scope", exc)
            return self.fallback.scope(request)
        asks, notes = asks_from_reply(reply.asks)
        self.notes.extend(notes)
        if request.modalities:
            modalities = set(request.modalities) | {"text"}
        else:
            # The media the asks name are the items' media, whatever the modalities list says.
            named = {a.params["modality"] for a in asks if a.kind == "input_modality"}
            named |= {{"speech": "audio", "image": "image"}[a.params["modality"]] for a in asks
                      if a.kind == "question_modality"}
            # Media neither the request's words nor its asks name are the model's guess (a small one named
            # all three for a text request): left out, and said.
            words = set(analyse(request).modalities)
            guessed = set(reply.modalities) - named - words - {"text"}
            if guessed:
                self.notes.append(f"scope: the model named {', '.join(sorted(guessed))} as input media, but neither "
                                  "the request's words nor its asks do; left out")
            modalities = (set(reply.modalities) - guessed) | named | {"text"}
        perturbations = [a for a in asks if a.kind == "perturbation"
                         and ("audio" if a.params["kind"] == "audio_noise" else "image") in modalities]
        first = perturbations[0].params if perturbations else None
        return Scope(topic=reply.topic, modalities=sorted(modalities),  # type: ignore[arg-type]
                     keywords=reply.keywords[:8],
                     target_size=request.target_size, modalities_inferred=not request.modalities,
                     perturbation=Perturbation(kind=first["kind"], severity=first["severities"][0]
                                               if len(first["severities"]) == 1 else 3) if first else None,
                     asks=[] if reply.problems else asks, problems=list(reply.problems))

    # --- design ----------------------------------------------------------------------------------

    def design(self, *, request: BuildRequest, scope: Scope, round_no: int, current: list[SubtaskDraft],
               feedback: list[Feedback]) -> DesignOutcome:
        current_text = ("Current subtasks:\n" + json.dumps([s.model_dump() for s in current], indent=1)) \
            if current else "There is no proposal yet."
        feedback_text = ("Feedback from grounding and allocation:\n"
                         + "\n".join(f"- {f.kind} {f.key}: {f.detail}".replace("  ", " ") for f in feedback)) \
            if feedback else "No feedback yet."
        asks_text = "\n".join(f"- {a.key}: {a.text}" + (" (uncertain)" if a.uncertain else "")
                              for a in scope.asks if a.kind == "capability") or "- (none named)"
        user = prompt("design", max_subtasks=self.max_subtasks, request=request.text,
                      scope=json.dumps(scope.model_dump()), asks=asks_text, round=round_no,
                      current=current_text, feedback=feedback_text)
        try:
            reply: DesignReply = self._ask("design", "You design benchmarks for evaluating AI models.", user,
                                           DesignReply)
        except LLMOutputError as exc:
            self._fall_back(f"design round {round_no}", exc)
            return self.fallback.design(request=request, scope=scope, round_no=round_no, current=current,
                                        feedback=feedback)
        subtasks: list[SubtaskDraft] = []
        seen: set[str] = set()
        capabilities = {a.key for a in scope.asks if a.kind == "capability"}
        for draft in reply.subtasks:
            if draft.key in seen or len(subtasks) >= self.max_subtasks:
                continue
            seen.add(draft.key)
            # Items carry the request's inputs; a subtask cannot ask for media the scope does not have.
            # It serves only capability asks the scope has (none named: the loop makes it serve them all).
            serves = [key for key in dict.fromkeys(draft.serves) if key in capabilities]
            if draft.serves and not serves:
                self.notes.append(f"design: {draft.key} names no capability ask of the request in serves "
                                  f"({', '.join(draft.serves)[:200]}); it serves them all")
            subtasks.append(draft.model_copy(update={"modalities": scope.modalities, "serves": serves}))
        decisions = [Decision(round=round_no, action=d.action, key=d.key, rationale=d.rationale)
                     for d in reply.decisions]
        # What an earlier round grounded leaves only by a decision with a reason, never by silence
        # (an empty reply in round 2 had discarded the one subtask round 1 grounded).
        discarded = {d.key for d in reply.decisions if d.action == "discard" and d.rationale.strip()}
        flagged = {f.key for f in feedback if f.key}  # the feedback's reasons to change these
        for kept in current:
            if kept.key not in seen | discarded | flagged and len(subtasks) < self.max_subtasks:
                seen.add(kept.key)
                subtasks.append(kept)
                decisions.append(Decision(round=round_no, action="keep", key=kept.key,
                                          rationale="the reply left it out without a reason to discard it"))
        for draft in subtasks:
            if not any(d.key == draft.key for d in decisions):
                action = "keep" if any(c.key == draft.key for c in current) else "propose"
                decisions.append(Decision(round=round_no, action=action, key=draft.key,
                                          rationale=draft.rationale or "no decision given"))
        return DesignOutcome(subtasks=subtasks, decisions=decisions)

    # --- grounding -------------------------------------------------------------------------------

    def _assess_prompt(self, request: BuildRequest, subtask: SubtaskDraft, candidates: list[CandidateView]) -> str:
        blocks = []
        for c in candidates:
            ops = " -> ".join(op.op for op in c.plan.operators)
            spoken = " The audio is synthesised from the dialogue text, one voice per speaker." if c.synthesis else ""
            blocks.append(
                f"Candidate {c.slug}\n"
                + fence_data(f"card {c.slug}", f"{c.name}\n{c.description}") + "\n"
                + f"Plan ({c.plan.template}, answer type {c.plan.answer_type}): {ops}.{spoken}\n"
                + f"Dry run: {c.usable} of {c.checked} records became valid items; failures: "
                + (json.dumps(c.failures) if c.failures else "none") + "\n"
                + fence_data(f"example items {c.slug}", json.dumps(c.examples, ensure_ascii=False, indent=1)))
        return prompt("assess", request=request.text,
                      subtask=json.dumps({k: getattr(subtask, k) for k in ("key", "name", "description", "answer_type")}),
                      candidates="\n\n".join(blocks))

    def assess_many(self, *, request: BuildRequest,
                    batch: list[tuple[SubtaskDraft, list[CandidateView]]]) -> list[dict[str, Judgement]]:
        if not batch:
            return []
        self.budget.check()
        calls = [LLMRequest([{"role": "system", "content": "You judge datasets for benchmark subtasks."},
                             {"role": "user", "content": self._assess_prompt(request, subtask, candidates)}],
                            assess_schema(tuple(c.slug for c in candidates)), "grounding")
                 for subtask, candidates in batch]
        replies = self.llm.complete_many(calls, return_exceptions=True)
        results = []
        for (subtask, candidates), reply in zip(batch, replies, strict=True):
            if isinstance(reply, LLMError):
                self.notes.append(f"grounding judge failed for {subtask.key} ({reply}); rules scored its candidates")
                scores: list[ScoreReply] = []
            else:
                scores = reply.value.scores
            results.append(self._judgements(candidates, scores))
        return results

    @staticmethod
    def _judgements(candidates: list[CandidateView], scores: list[ScoreReply]) -> dict[str, Judgement]:
        """The judge's scores of the named candidates; rules for any it left out (names it made up
        are ignored)."""
        judged: dict[str, Judgement] = {}
        slugs = {c.slug for c in candidates}
        for item in scores:
            if item.dataset in slugs and item.dataset not in judged:
                judged[item.dataset] = Judgement(alignment=item.alignment, simplicity=item.simplicity,
                                                 risk=item.risk, rationale=_one_line(item.rationale))
        for c in candidates:
            if c.slug not in judged:
                rules = offline_judgement(c)
                judged[c.slug] = rules.model_copy(update={"rationale": "the judge gave no score; by rules: "
                                                                       + rules.rationale})
        return judged


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()[:500]
