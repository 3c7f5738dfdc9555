"""Typed data that crosses the agent core's boundary."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Modality = Literal["text", "image", "audio"]
AnswerType = Literal["binary", "choice", "label", "span", "free_text"]
# ok: every ask of the request is served at its quota; partial: some are not (the coverage says which
# and why); ungroundable: nothing in the pool fits; unclear-request: the request itself cannot be
# planned (too short, contradictory); the others are the loop's own ends.
EndState = Literal["ok", "partial", "ungroundable", "unclear-request", "design-not-stable", "allocation-gap",
                   "budget-exhausted"]
AskKind = Literal["capability", "input_modality", "question_modality", "perturbation", "option_count",
                  "answer_format", "difficulty", "language", "no_textual_hints", "adversarial_options",
                  "knowledge_link", "material"]


class BuildRequest(BaseModel):
    text: str
    target_size: int = Field(ge=1)
    modalities: list[Modality] = Field(default_factory=list)
    seed: int = 0
    budget_tokens: int | None = Field(default=None, ge=0)
    budget_money: float | None = Field(default=None, ge=0)  # USD


class Perturbation(BaseModel):
    """A robustness condition the request asks for: every image degraded this way, or ("audio_noise")
    background noise mixed into every recording."""

    kind: Literal["downscale", "blur", "jpeg", "occlusion", "noise", "audio_noise"]
    severity: int = Field(default=3, ge=1, le=5)


class Ask(BaseModel):
    """One explicit thing a request asks for, as the analysis read it, with the words that ask it.

    Kinds and their params:
    - capability: the skill tested ({"capability": taxonomy key or "custom"}); one per skill asked.
    - input_modality: a medium every item must carry ({"modality": "image" | "audio"}).
    - question_modality: how the question itself reaches the model ({"modality": "speech" | "image"}),
      when not as text.
    - perturbation: a robustness condition ({"kind": "blur" | "downscale" | "jpeg" | "occlusion" |
      "noise" | "audio_noise", "severities": [1, ..., 5]}).
    - option_count ({"count": 4}), answer_format ({"format": "choice" | "binary" | "free_text" | ...}),
      difficulty ({"level": "hard"}), language ({"language": "de"}), no_textual_hints ({}),
      adversarial_options ({}): options that keyword matching does not give away.
    - knowledge_link: a second hop from what the item shows ({"field": "capital", "of": "country"}).
    """

    key: str = Field(pattern=r"^[a-z0-9_:.-]{1,80}$")  # unique within a request, e.g. "perturbation:blur"
    kind: AskKind
    text: str = Field(min_length=1, max_length=300)  # the ask in plain words, for the spec's coverage
    params: dict[str, Any] = Field(default_factory=dict)
    evidence: list[str] = Field(default_factory=list)  # the request's words that ask it
    confidence: float = Field(default=1.0, ge=0, le=1)
    uncertain: bool = False  # weak evidence: the spec waits for review, even with auto-approve


class Scope(BaseModel):
    topic: str
    modalities: list[Modality]
    keywords: list[str]
    target_size: int
    modalities_inferred: bool = True
    perturbation: Perturbation | None = None
    asks: list[Ask] = Field(default_factory=list)
    # Why the request cannot be planned as written (too short, contradictory), in words a user understands.
    problems: list[str] = Field(default_factory=list)


class FieldSpec(BaseModel):
    """One role of a card's `meta.fields`: where the role lives in a record and what it holds."""

    paths: list[str] = Field(default_factory=list)
    modality: str = "text"
    content_extent: str = ""
    style: str = ""
    semantics: str = ""


class CardView(BaseModel):
    dataset_id: int
    slug: str
    name: str
    description: str = ""
    card_text: str = ""
    tasks: list[str] = Field(default_factory=list)
    domain: str = ""
    modalities: list[str] = Field(default_factory=list)
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    record_count: int = 0


class PoolHit(BaseModel):
    """A dataset search result: the card, its score in [0, 1] and the parts that explain it."""

    card: CardView
    score: float
    parts: dict[str, float] = Field(default_factory=dict)
    matched_terms: list[str] = Field(default_factory=list)


class MediaRef(BaseModel):
    path: str  # the JSON path in the record that names the file, e.g. "input.image_file"
    file: str  # the file's path in the media store
    abs_path: str  # where the file is on disk, for tools
    kind: Literal["image", "audio"]
    sha256: str = ""


class RecordView(BaseModel):
    record_id: int
    dataset_id: int
    source_id: str
    payload: dict[str, Any]
    media: list[MediaRef] = Field(default_factory=list)


class Operator(BaseModel):
    """One step of a transformation plan; it declares what it reads and writes."""

    op: str
    reads: list[str] = Field(default_factory=list)
    writes: list[str] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)


class TransformPlan(BaseModel):
    template: str
    answer_type: AnswerType
    operators: list[Operator]


class GroundingPlan(BaseModel):
    dataset_id: int
    dataset_slug: str
    plan: TransformPlan
    scores: dict[str, float] = Field(default_factory=dict)
    capacity: int = 0
    quota: int = 0
    synthesis: str = ""  # "speech": the plan makes the audio from the dataset's text
    rationale: str = ""
    serves: list[str] = Field(default_factory=list)  # keys of the asks its items satisfy (modality, perturbation...)


class SubtaskDraft(BaseModel):
    """A subtask as Design proposes it, before grounding."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,59}$")
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(min_length=1, max_length=1200)
    answer_type: AnswerType = "choice"
    modalities: list[Modality]
    keywords: list[str] = Field(default_factory=list, max_length=12)
    sample_schema: dict[str, str] = Field(default_factory=dict)
    importance: float = Field(default=1.0, gt=0, le=10)
    roles: list[str] = Field(default_factory=list, max_length=6)  # card roles grounding prefers
    # Ways its media may be made from a text dataset: "speech" (a dialogue spoken) for audio subtasks,
    # "render" (a passage rendered as a page image) for image subtasks.
    synthesis: list[Literal["speech", "render", "spoken_passage"]] = Field(default_factory=list)
    rationale: str = ""
    serves: list[str] = Field(default_factory=list)  # keys of the capability asks it serves


class Decision(BaseModel):
    """One step of the design loop: what changed and why."""

    round: int
    action: Literal["propose", "revise", "keep", "discard"]
    key: str
    rationale: str


class SubtaskPlan(BaseModel):
    key: str
    name: str
    description: str
    answer_type: AnswerType
    modalities: list[str]
    keywords: list[str]
    sample_schema: dict[str, Any]
    importance: float
    quota: int = 0
    groundings: list[GroundingPlan] = Field(default_factory=list)
    rationale: str = ""
    serves: list[str] = Field(default_factory=list)


class AskCoverage(BaseModel):
    """Whether the plan serves one ask: by which subtasks, datasets and operators, with how many of
    the target's samples, or why not."""

    key: str
    kind: AskKind
    text: str
    status: Literal["served", "partly", "not_served"]
    samples: int = 0  # planned samples that satisfy the ask
    wanted: int = 0  # planned samples that should (the target for asks on every item)
    subtasks: list[str] = Field(default_factory=list)
    datasets: list[str] = Field(default_factory=list)
    operators: list[str] = Field(default_factory=list)
    reason: str = ""  # why it is not (fully) served
    uncertain: bool = False


class PlanResult(BaseModel):
    engine: str
    scope: Scope
    subtasks: list[SubtaskPlan]
    end_state: EndState
    reason: str = ""
    trace: list[dict[str, Any]] = Field(default_factory=list)
    coverage: list[AskCoverage] = Field(default_factory=list)


class Cell(BaseModel):
    """What an execution cell needs: one grounding of one subtask, with its quota."""

    subtask_key: str
    grounding_id: int
    dataset_id: int
    dataset_slug: str
    plan: TransformPlan
    quota: int
    seed: int = 0
    # A grounding may be realised by several cells at once (on several workers): cell `shard` of
    # `shards` draws the records at draw positions shard, shard + shards, shard + 2 * shards, ...
    shard: int = 0
    shards: int = 1
    intent: str = ""  # what the benchmark is for (request and subtask), for the LLM item author


class Check(BaseModel):
    name: str
    ok: bool
    detail: str = ""


class ItemContent(BaseModel):
    """What a benchmark item says: the fields every stage (executor, judge, evaluation, export) reads."""

    question: str = ""
    context: str = ""
    options: list[str] = Field(default_factory=list)
    answer: str = ""
    answer_index: int | None = None
    accepted_answers: list[str] = Field(default_factory=list)
    answer_type: str = "choice"


class SampleDraft(ItemContent):
    item_key: str
    subtask_key: str
    grounding_id: int
    record_id: int
    source_id: str
    answer_type: AnswerType = "choice"
    media: list[MediaRef] = Field(default_factory=list)
    speech_text: str = ""  # the words a synthesised recording says (for its round trip and for reviewers)
    spoken_clean: MediaRef | None = None  # the recording as synthesised, before any noise
    rendered_text: str = ""  # the text a rendered image shows (for its OCR round trip and for reviewers)
    rendered_page: MediaRef | None = None  # the page as rendered, before any degradation
    image_clean: MediaRef | None = None  # the record's image before any degradation (checks read it; never served)
    superseded: list[MediaRef] = Field(default_factory=list)  # media of attempts a repair replaced
    # The robustness conditions the item got, e.g. [{"kind": "blur", "severity": 3}] (a ladder spreads them).
    conditions: list[dict[str, Any]] = Field(default_factory=list)
    fingerprint: list[float] = Field(default_factory=list)  # text embedding, for near-duplicate checks
    dedup_key: str = ""  # question + media identity, for exact duplicate checks
    operators: list[str] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    status: Literal["ok", "repaired", "rejected"] = "ok"
    engine: str = "offline"

    @property
    def rejected_reasons(self) -> list[str]:
        return [f"{c.name}: {c.detail}" for c in self.checks if not c.ok]


class CellReport(BaseModel):
    quota: int
    accepted: int
    rejected: int
    skipped_existing: int
    exhausted: bool
    records_seen: int
    stopped: str = ""  # why the cell stopped drawing before its quota or its records ran out


class MediaCheck(BaseModel):
    ok: bool
    detail: str = ""
    mime: str = ""
    width: int = 0
    height: int = 0
