"""Shapes of the REST API: one input serializer for a build request, output serializers for reads.

Serializers only shape data. The rules a request must meet live in services.check_build_request,
so the input serializer checks structure alone and lets the service word the errors a person sees.
"""
from __future__ import annotations

import re

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from benchmarks import selectors
from benchmarks.models import (
    AgentRun,
    AgentRunEvent,
    Benchmark,
    BenchmarkVersion,
    Grounding,
    MediaAsset,
    Sample,
    Spec,
    Subtask,
)
from common.api import BoundedIntegerField

# The model's column is a PositiveIntegerField: the largest value every database accepts.
SEED_MAX = 2_147_483_647
_INTEGER_STRING = re.compile(r"\s*[+-]?[0-9]{1,18}\s*")


@extend_schema_field(OpenApiTypes.INT)
class ServiceCheckedIntegerField(serializers.Field):
    """An integer whose range and type the service checks.

    Integer strings (form posts) become ints; anything else passes through unchanged, so the
    service's check, not DRF's generic "A valid integer is required.", says what is wrong.
    """

    def to_internal_value(self, data):
        if isinstance(data, str) and _INTEGER_STRING.fullmatch(data):
            return int(data)
        return data

    def to_representation(self, value):
        return value


def run_status_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=AgentRun.Status.choices, read_only=True)


# --- Input ---------------------------------------------------------------------------------------

class BuildRequestInputSerializer(serializers.Serializer):
    team = serializers.CharField(max_length=64, help_text="Slug of the team to build in (as its owner or editor).")
    # Blank text and any target_size reach the service, which explains what is wrong with them.
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, required=False, default="",
                                 help_text="What the benchmark should evaluate, in your own words.")
    target_size = ServiceCheckedIntegerField(help_text="Number of accepted samples to build.")
    modalities = serializers.ListField(child=serializers.CharField(), required=False, default=list,
                                       help_text='Any of "text", "image", "audio"; empty means inferred.')
    name = serializers.CharField(max_length=200, allow_blank=True, required=False, default="",
                                 help_text="Benchmark name; derived from the text when empty.")
    seed = serializers.IntegerField(min_value=0, max_value=SEED_MAX, required=False, default=0)
    auto_approve = serializers.BooleanField(
        required=False, default=False,
        help_text="Build straight after planning when the plan serves every ask of the request; a plan "
                  "that leaves an ask unserved, or read one from weak evidence, still waits for review. By default "
                  "the spec waits as a draft (run status awaiting_approval) until an owner or editor approves it "
                  "at /api/specs/{id}/approve/.")
    engine = serializers.CharField(
        required=False, default="", allow_blank=True,
        help_text='"offline" (deterministic, no LLM) or "llm" (needs OPENAI_BASE_URL); empty: the platform default.')
    budget_tokens = BoundedIntegerField(
        required=False, allow_null=True, default=None, min_value=0,
        help_text="LLM tokens the build may spend; planning stops cleanly (run status budget_exhausted) when spent.")
    budget_money = serializers.DecimalField(
        required=False, allow_null=True, default=None, max_digits=12, decimal_places=4, min_value=0,
        help_text="USD the build may spend on LLM calls (from the LLM_PRICES table).")


class BuildStartedOutputSerializer(serializers.Serializer):
    request = serializers.IntegerField(help_text="Id of the recorded request.")
    benchmark = serializers.IntegerField(help_text="Id of the benchmark (new).")
    version = serializers.IntegerField(help_text="Number of the version this build makes.")
    run = serializers.IntegerField(help_text="Id of the build run; follow it at run_url.")
    run_url = serializers.URLField()
    benchmark_url = serializers.URLField()


# --- Benchmarks ----------------------------------------------------------------------------------

class SubtaskSerializer(serializers.ModelSerializer):
    datasets = serializers.SerializerMethodField(help_text="Slugs of the datasets the subtask is grounded in.")

    class Meta:
        model = Subtask
        fields = ["key", "name", "answer_type", "quota", "datasets"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_datasets(self, subtask: Subtask) -> list[str]:
        return [grounding.dataset.slug for grounding in subtask.groundings.all()]


class SpecSerializer(serializers.ModelSerializer):
    subtasks = SubtaskSerializer(many=True, read_only=True)

    class Meta:
        model = Spec
        fields = ["id", "status", "engine", "end_state", "coverage", "subtasks"]


class VersionSerializer(serializers.ModelSerializer):
    accepted_count = serializers.IntegerField(read_only=True, help_text="Samples with status ok or repaired.")
    spec = SpecSerializer(read_only=True, allow_null=True, help_text="Null until the build has planned.")

    class Meta:
        model = BenchmarkVersion
        fields = ["number", "created_at", "checksum", "accepted_count", "baselines", "spec"]


class RunBriefSerializer(serializers.ModelSerializer):
    status = run_status_field()

    class Meta:
        model = AgentRun
        fields = ["id", "status", "progress_done", "progress_total"]


class BenchmarkSerializer(serializers.ModelSerializer):
    """Expects selectors.benchmark_list_detailed: versions newest first, each with `build_runs`."""

    team = serializers.CharField(source="team.slug", read_only=True)
    versions = VersionSerializer(many=True, read_only=True)
    latest_run = serializers.SerializerMethodField(help_text="The newest build run; null when none.")

    class Meta:
        model = Benchmark
        fields = ["id", "name", "slug", "team", "description", "created_at", "versions", "latest_run"]

    @extend_schema_field(RunBriefSerializer(allow_null=True))
    def get_latest_run(self, benchmark: Benchmark) -> dict | None:
        for version in benchmark.versions.all():
            if version.build_runs:
                return RunBriefSerializer(version.build_runs[0]).data
        return None


# --- Specs (review) ------------------------------------------------------------------------------

class SpecQuotasInputSerializer(serializers.Serializer):
    quotas = serializers.DictField(child=ServiceCheckedIntegerField(), required=False, default=dict,
                                   help_text="Quota per subtask key; a subtask not named keeps its quota.")
    dropped = serializers.ListField(child=serializers.CharField(), required=False, default=list,
                                    help_text="Keys of the subtasks to drop (quota 0, never built).")


class GroundingDetailSerializer(serializers.ModelSerializer):
    dataset = serializers.CharField(source="dataset.slug", read_only=True)
    dataset_name = serializers.CharField(source="dataset.name", read_only=True)

    class Meta:
        model = Grounding
        fields = ["id", "dataset", "dataset_name", "scores", "capacity", "quota", "plan", "synthesis", "rationale"]


class SubtaskDetailSerializer(serializers.ModelSerializer):
    groundings = GroundingDetailSerializer(many=True, read_only=True)

    class Meta:
        model = Subtask
        fields = ["key", "name", "description", "answer_type", "modalities", "keywords", "sample_schema",
                  "importance", "quota", "dropped", "rationale", "groundings"]


class SpecDetailSerializer(serializers.ModelSerializer):
    """Expects selectors.spec_list (subtasks, groundings and datasets prefetched)."""

    benchmark = serializers.IntegerField(source="version.benchmark_id", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    target_size = serializers.IntegerField(source="version.request.target_size", read_only=True)
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, allow_null=True, default=None)
    subtasks = SubtaskDetailSerializer(many=True, read_only=True)

    class Meta:
        model = Spec
        fields = ["id", "benchmark", "version", "status", "engine", "end_state", "coverage", "target_size", "scope",
                  "approved_at", "approved_by", "subtasks", "trace"]


# --- Runs ----------------------------------------------------------------------------------------

class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(source="progress_done")
    total = serializers.IntegerField(source="progress_total")
    percent = serializers.SerializerMethodField(help_text="done / total as a whole percent, at most 100.")

    @extend_schema_field(OpenApiTypes.INT)
    def get_percent(self, run: AgentRun) -> int:
        if not run.progress_total:
            return 100 if run.status in (AgentRun.Status.SUCCEEDED, AgentRun.Status.PARTIAL) else 0
        return min(100, run.progress_done * 100 // run.progress_total)


class CellRunSerializer(serializers.ModelSerializer):
    status = run_status_field()
    dataset = serializers.CharField(source="grounding.dataset.slug", read_only=True, allow_null=True)
    subtask = serializers.CharField(source="grounding.subtask.key", read_only=True, allow_null=True)
    done = serializers.IntegerField(source="progress_done", read_only=True)
    total = serializers.IntegerField(source="progress_total", read_only=True)
    shard = serializers.IntegerField(read_only=True, help_text="Which share of its grounding this cell draws (from 0).")
    shards = serializers.IntegerField(read_only=True, help_text="How many cells share the grounding's records.")

    class Meta:
        model = AgentRun
        fields = ["id", "status", "dataset", "subtask", "shard", "shards", "done", "total"]


class RunEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgentRunEvent
        fields = ["created_at", "level", "kind", "message"]


class RunSerializer(serializers.ModelSerializer):
    """Expects selectors.run_list_detailed: children prefetched, `recent_events` newest first."""

    status = run_status_field()
    progress = ProgressSerializer(source="*", read_only=True)
    benchmark = serializers.IntegerField(source="version.benchmark_id", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    children = CellRunSerializer(many=True, read_only=True, help_text="The build's cell runs; empty for a cell run.")
    events = serializers.SerializerMethodField(help_text="The run's last 20 events, oldest first.")

    class Meta:
        model = AgentRun
        fields = ["id", "kind", "status", "stage", "engine", "progress", "error", "benchmark", "version", "parent",
                  "created_at", "started_at", "finished_at", "children", "events"]

    @extend_schema_field(RunEventSerializer(many=True))
    def get_events(self, run: AgentRun) -> list[dict]:
        return RunEventSerializer(reversed(run.recent_events), many=True).data


class RunCostsSerializer(serializers.Serializer):
    llm_calls = serializers.IntegerField()
    llm_cached_calls = serializers.IntegerField()
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    money_usd = serializers.CharField(help_text="From the LLM_PRICES table.")
    llm_minutes = serializers.FloatField()
    tool_calls = serializers.IntegerField()
    tool_minutes = serializers.FloatField()
    agent_minutes = serializers.FloatField(help_text="LLM and tool time, summed over calls.")
    accepted_samples = serializers.IntegerField()
    agent_minutes_per_sample = serializers.FloatField(allow_null=True)
    money_per_sample_usd = serializers.CharField(allow_null=True)


class RunDetailSerializer(RunSerializer):
    costs = serializers.SerializerMethodField(help_text="What the run and its cells spent; per accepted sample.")

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "costs"]

    @extend_schema_field(RunCostsSerializer)
    def get_costs(self, run: AgentRun) -> dict:
        return RunCostsSerializer(selectors.run_costs(run=run)).data


# --- Samples -------------------------------------------------------------------------------------

class MediaSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = MediaAsset
        fields = ["uid", "kind", "mime", "url"]

    def get_url(self, asset: MediaAsset) -> str:
        """The team-checked page that serves the file (never a public URL)."""
        return reverse("media-asset", args=[asset.uid])


class SampleSourceSerializer(serializers.Serializer):
    dataset = serializers.CharField(source="grounding.dataset.slug")
    dataset_name = serializers.CharField(source="grounding.dataset.name")
    source_id = serializers.CharField(source="source_record.source_id", help_text="The record's id in its source.")
    record_id = serializers.IntegerField(source="source_record_id")


class SampleSerializer(serializers.ModelSerializer):
    """Expects selectors.sample_list (subtask, dataset, record and version joined; media prefetched)."""

    benchmark = serializers.IntegerField(source="version.benchmark_id", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    subtask = serializers.CharField(source="subtask.key", read_only=True)
    media = MediaSerializer(many=True, read_only=True)
    source = SampleSourceSerializer(source="*", read_only=True)

    class Meta:
        model = Sample
        fields = ["id", "item_key", "benchmark", "version", "subtask", "question", "context", "options", "answer",
                  "answer_index", "answer_type", "status", "engine", "media", "source", "provenance",
                  "verification", "created_at"]
