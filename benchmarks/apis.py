"""The REST API of benchmarks: start a build from a request; read benchmarks, specs, runs and
samples; review a draft spec (set quotas and drop subtasks, re-plan, approve).

Views are thin: reads go through selectors scoped to the caller's teams (another team's object is
a 404, never a 403), writes go through services (build_start, spec_quotas_set, spec_replan,
spec_approve), whose ValidationErrors become 400s keyed by field.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from benchmarks import exporting, freezing, selectors, services
from benchmarks.errors import ChecksumMismatchError
from benchmarks.views import export_file_response
from benchmarks.models import AgentRun, Sample, Spec
from benchmarks.serializers import (
    BenchmarkSerializer,
    BuildRequestInputSerializer,
    BuildStartedOutputSerializer,
    RunDetailSerializer,
    RunSerializer,
    SampleSerializer,
    SpecDetailSerializer,
    SpecQuotasInputSerializer,
)
from common.api import validation_error_detail  # the other apps' APIs import it from here too
from common.filters import FilterSet, IntegerFilter
from common.numbers import int_param
from teams.selectors import access_team_for_write, team_ids_for_user

ERRORS_400 = OpenApiResponse(
    response=OpenApiTypes.OBJECT, description="Invalid input: each field maps to a list of messages.",
    examples=[OpenApiExample("Empty text", value={"text": ["Describe what the benchmark should evaluate; "
                                                           "the text is empty."]})])

ERRORS_409 = OpenApiResponse(
    response=OpenApiTypes.OBJECT, description="The frozen version was changed outside the platform.",
    examples=[OpenApiExample("Checksum mismatch", value={"checksum": [
        "Demo v1: its items no longer match the checksum recorded when it was frozen (recorded 5e0f..., now "
        "91ab...). It was changed outside the platform and is not exported until an administrator finds out "
        "what changed (manage.py verify_checksums lists every such version)."]})])


VERSION_PARAM = OpenApiParameter("version", int, description="Version number (default: the latest).")

CONFLICT_409 = OpenApiResponse(
    response=OpenApiTypes.OBJECT, description="The benchmark's latest version is still being built.",
    examples=[OpenApiExample("Refresh while building", value={"benchmark": [
        "A refresh is already running: v2 is still being built; refresh again once it has finished."]})])


class BuildRequestCreateApi(APIView):
    @extend_schema(
        operation_id="requests_create", tags=["requests"], request=BuildRequestInputSerializer,
        responses={201: BuildStartedOutputSerializer, 400: ERRORS_400},
        summary="Start a build from a request",
        description="Records the request, opens a new benchmark with version 1 and queues its build. "
                    "Follow the build at run_url.",
    )
    def post(self, request: Request) -> Response:
        data = BuildRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        team = access_team_for_write(user=request.user, slug=fields["team"])
        if team is None:
            # The same words for "no such team" and "not yours", so nobody can probe for teams.
            raise serializers.ValidationError(
                {"team": [f"Unknown team '{fields['team']}', or you may not build in it."]})
        try:
            started = services.build_start(
                team=team, user=request.user, text=fields["text"], target_size=fields["target_size"],
                modalities=fields["modalities"], name=fields["name"], seed=fields["seed"],
                auto_approve=fields["auto_approve"], engine=fields["engine"],
                budget_tokens=fields["budget_tokens"], budget_money=fields["budget_money"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError(validation_error_detail(exc)) from exc
        body = build_started_body(request, started)
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["run_url"]})


def build_started_body(request, started) -> dict:
    run_url = request.build_absolute_uri(reverse("api-run-detail", args=[started.run.id]))
    benchmark_url = request.build_absolute_uri(reverse("api-benchmark-detail", args=[started.version.benchmark_id]))
    return BuildStartedOutputSerializer({
        "request": started.request.id, "benchmark": started.version.benchmark_id, "version": started.version.number,
        "run": started.run.id, "run_url": run_url, "benchmark_url": benchmark_url}).data


@extend_schema_view(
    list=extend_schema(summary="Your teams' benchmarks, newest first", tags=["benchmarks"]),
    retrieve=extend_schema(summary="A benchmark with its versions, specs and latest build run", tags=["benchmarks"]),
)
class BenchmarkViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = BenchmarkSerializer

    def get_queryset(self):
        return selectors.benchmark_list_detailed(team_ids=team_ids_for_user(user=self.request.user))

    def _version(self, number: int | None):
        version = selectors.version_get(benchmark=self.get_object(), number=number)
        if version is None:
            raise NotFound("No such version.")
        return version

    @extend_schema(request=None, tags=["benchmarks"], parameters=[VERSION_PARAM],
                   responses={200: BenchmarkSerializer, 400: ERRORS_400},
                   summary="Freeze a version (its samples no longer change; its checksum is recorded)")
    @action(detail=True, methods=["post"])
    def freeze(self, request, pk=None):
        version = self._version(_version_param(request))
        try:
            freezing.version_freeze(version=version, user=request.user)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            return Response(validation_error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        return Response(self.get_serializer(self.get_queryset().get(pk=version.benchmark_id)).data)

    @extend_schema(request=None, tags=["benchmarks"],
                   responses={202: BuildStartedOutputSerializer, 400: ERRORS_400, 409: CONFLICT_409},
                   summary="Refresh: a new version from the latest spec, built from source records no earlier "
                           "version used (409 while the latest version is still being built)")
    @action(detail=True, methods=["post"])
    def refresh(self, request, pk=None):
        try:
            started = services.version_refresh(benchmark=self.get_object(), user=request.user)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except services.BuildInProgress as exc:
            return Response(validation_error_detail(exc), status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as exc:
            return Response(validation_error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        return Response(build_started_body(request, started), status=status.HTTP_202_ACCEPTED)

    @extend_schema(tags=["benchmarks"], responses={(200, "application/zip"): OpenApiTypes.BINARY, 400: ERRORS_400,
                                                   409: ERRORS_409},
                   parameters=[VERSION_PARAM, OpenApiParameter("export_format", str,
                                                               enum=["jsonl", "hf", "inspect", "lm_eval", "lmms_eval",
                                                                     "vlmevalkit"],
                                                               description="Export format (default jsonl); not "
                                                                           "`format`, which DRF keeps for renderers.")],
                   summary="Download a frozen version as a zip (X-Content-SHA256, X-Version-Checksum headers)",
                   description="409 when the version no longer matches the checksum recorded when it was frozen "
                               "(or a media file changed): it was changed outside the platform and is not exported.")
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        version = self._version(_version_param(request))
        try:
            export = exporting.version_export(version=version, fmt=request.query_params.get("export_format", "jsonl"))
        except ChecksumMismatchError as exc:
            return Response(validation_error_detail(exc), status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as exc:
            return Response(validation_error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        return export_file_response(export)


def _version_param(request) -> int | None:
    """?version= (default: the latest); a 400 naming it when it is not a whole number from 1."""
    return int_param(request.query_params, "version", min_value=1)


class SpecFilter(FilterSet):
    benchmark = IntegerFilter(field_name="version__benchmark", help_text="Benchmark id.")
    status = filters.ChoiceFilter(choices=Spec.Status.choices)

    class Meta:
        model = Spec
        fields = ["benchmark", "status"]


def _spec_write(call) -> None:
    try:
        call()
    except DjangoValidationError as exc:
        raise serializers.ValidationError(validation_error_detail(exc)) from exc


@extend_schema_view(
    list=extend_schema(summary="Your teams' specs, newest first", tags=["specs"]),
    retrieve=extend_schema(summary="A spec: subtasks, grounding datasets with scores, plans and quotas, "
                                   "and the whole planning trace", tags=["specs"]),
)
class SpecViewSet(viewsets.ReadOnlyModelViewSet):
    """Review of a draft spec by the team's owners and editors; another team's spec is a 404."""

    serializer_class = SpecDetailSerializer
    filterset_class = SpecFilter

    def get_queryset(self):
        return selectors.spec_list(team_ids=team_ids_for_user(user=self.request.user)).order_by("-created_at", "-id")

    def _fresh(self, pk) -> Response:
        return Response(SpecDetailSerializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(tags=["specs"], request=SpecQuotasInputSerializer,
                   responses={200: SpecDetailSerializer, 400: ERRORS_400},
                   summary="Set quotas and drop subtasks of a draft spec",
                   description="The kept subtasks' quotas must sum exactly to the target size, each within "
                               "its datasets' measured capacity; at least one subtask is kept.")
    @action(detail=True, methods=["post"])
    def quotas(self, request: Request, pk=None) -> Response:
        spec = self.get_object()
        data = SpecQuotasInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _spec_write(lambda: services.spec_quotas_set(spec=spec, user=request.user, **data.validated_data))
        return self._fresh(spec.pk)

    @extend_schema(tags=["specs"], request=None, responses={200: SpecDetailSerializer, 400: ERRORS_400},
                   summary="Approve a draft spec and start its build",
                   description="Creates and queues one cell run per kept grounding with a quota. Idempotent.")
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk=None) -> Response:
        spec = self.get_object()
        _spec_write(lambda: services.spec_approve(spec=spec, user=request.user))
        return self._fresh(spec.pk)

    @extend_schema(tags=["specs"], request=None, responses={202: RunSerializer, 400: ERRORS_400},
                   summary="Discard a draft spec and plan again",
                   description="The spec, its subtasks and groundings are deleted; the same build run plans "
                               "again (with the request's seed). Follow the run for the new spec.")
    @action(detail=True, methods=["post"])
    def replan(self, request: Request, pk=None) -> Response:
        spec = self.get_object()
        run_ids: list[int] = []
        _spec_write(lambda: run_ids.append(services.spec_replan(spec=spec, user=request.user).id))
        run = selectors.run_list_detailed(team_ids=team_ids_for_user(user=request.user)).get(pk=run_ids[0])
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RunFilter(FilterSet):
    benchmark = IntegerFilter(field_name="version__benchmark", help_text="Benchmark id.")
    status = filters.ChoiceFilter(choices=AgentRun.Status.choices)
    kind = filters.ChoiceFilter(choices=AgentRun.Kind.choices)

    class Meta:
        model = AgentRun
        fields = ["benchmark", "status", "kind"]


@extend_schema_view(
    list=extend_schema(summary="Your teams' runs (builds and their cells), newest first", tags=["runs"]),
    retrieve=extend_schema(summary="A run with its progress, cell runs and last events", tags=["runs"]),
)
class RunViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RunSerializer
    filterset_class = RunFilter

    def get_serializer_class(self):
        return RunDetailSerializer if self.action in ("retrieve", "cancel") else RunSerializer

    def get_queryset(self):
        return selectors.run_list_detailed(team_ids=team_ids_for_user(user=self.request.user))

    @extend_schema(tags=["runs"], request=None, responses={200: RunDetailSerializer, 400: ERRORS_400},
                   summary="Cancel a build run that has not finished",
                   description="The run and its unfinished cells end as cancelled; a worker running them stops "
                               "before its next item or LLM call. The samples, calls and costs so far are kept. "
                               "Owners and editors only; a finished run is a 400.")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk=None) -> Response:
        run = self.get_object()
        _spec_write(lambda: services.run_cancel(run=run, user=request.user))
        return Response(RunDetailSerializer(self.get_queryset().get(pk=run.pk)).data)


class SampleFilter(FilterSet):
    benchmark = IntegerFilter(field_name="version__benchmark", help_text="Benchmark id.")
    version = IntegerFilter(field_name="version__number", help_text="Version number (use with benchmark).")
    subtask = filters.CharFilter(field_name="subtask__key", help_text="Subtask key.")
    status = filters.ChoiceFilter(choices=Sample.Status.choices)

    class Meta:
        model = Sample
        fields = ["benchmark", "version", "subtask", "status"]


@extend_schema_view(
    list=extend_schema(summary="Your teams' samples, by version then id", tags=["samples"]),
    retrieve=extend_schema(summary="A sample with its media, source record, provenance and checks", tags=["samples"]),
)
class SampleViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SampleSerializer
    filterset_class = SampleFilter

    def get_queryset(self):
        return selectors.sample_list(team_ids=team_ids_for_user(user=self.request.user)).order_by("version_id", "id")
