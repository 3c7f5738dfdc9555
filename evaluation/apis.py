"""The REST API of evaluation: judge a benchmark version and read judge scores; register target
models, evaluate them on a version, read runs and the leaderboard.
Reads are scoped to the caller's teams; another team's benchmark is a 404."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from benchmarks import selectors as benchmark_selectors
from benchmarks.apis import ERRORS_400, validation_error_detail
from benchmarks.models import AgentRun, BenchmarkVersion
from common.api import BoundedIntegerField
from common.filters import FilterSet, IntegerFilter
from common.numbers import int_param
from evaluation import selectors, services
from evaluation.models import EvalRun, JudgeScore, ModelEndpoint
from teams.models import Team
from teams.selectors import team_ids_for_user


class JudgeStartInputSerializer(serializers.Serializer):
    benchmark = BoundedIntegerField(help_text="Benchmark id.")
    version = BoundedIntegerField(required=False, help_text="Version number (default: the latest).")
    engine = serializers.ChoiceField(choices=services.JUDGE_ENGINES, default="rules",
                                     help_text="rules: the offline judge (FSQ, parts of QAC and CQC); llm: all seven.")


class JudgeRunSerializer(serializers.ModelSerializer):
    benchmark = serializers.IntegerField(source="version.benchmark_id", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = AgentRun
        fields = ["id", "kind", "status", "stage", "engine", "progress_done", "progress_total", "error", "benchmark",
                  "version", "created_at", "finished_at"]
        read_only_fields = fields


class JudgeScoreSerializer(serializers.ModelSerializer):
    item_key = serializers.CharField(source="sample.item_key", read_only=True)

    class Meta:
        model = JudgeScore
        fields = ["id", "sample", "item_key", "dimension", "score", "rationale", "model", "run", "created_at"]
        read_only_fields = fields


def _version_of(request, data) -> BenchmarkVersion:
    """The benchmark version a start request names, in the caller's teams; else 404."""
    benchmark = benchmark_selectors.benchmark_get(team_ids=team_ids_for_user(user=request.user),
                                                  pk=data.validated_data["benchmark"])
    version = (benchmark_selectors.version_get(benchmark=benchmark, number=data.validated_data.get("version"))
               if benchmark else None)
    if version is None:
        raise NotFound("No such benchmark version in your teams.")
    return version


def _started(start, serializer) -> Response:
    """Run a service that queues a run: 202 with the run, 403 when not allowed, 400 on bad input."""
    try:
        run = start()
    except PermissionDenied as exc:
        raise ApiPermissionDenied(str(exc)) from exc
    except DjangoValidationError as exc:
        return Response(validation_error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
    run.refresh_from_db()
    return Response(serializer(run).data, status=status.HTTP_202_ACCEPTED)


class JudgeStartApi(APIView):
    @extend_schema(request=JudgeStartInputSerializer, responses={202: JudgeRunSerializer, 400: ERRORS_400},
                   tags=["evaluation"], summary="Judge a benchmark version's samples (a judge run, in the background)")
    def post(self, request):
        data = JudgeStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = _version_of(request, data)
        return _started(lambda: services.judge_start(version=version, user=request.user,
                                                     engine=data.validated_data["engine"]), JudgeRunSerializer)


class BaselineStartInputSerializer(serializers.Serializer):
    benchmark = BoundedIntegerField(help_text="Benchmark id.")
    version = BoundedIntegerField(required=False, help_text="Version number (default: the latest).")


class BaselineStartApi(APIView):
    @extend_schema(request=BaselineStartInputSerializer, responses={202: JudgeRunSerializer, 400: ERRORS_400},
                   tags=["evaluation"], summary="Direct-prompting baseline: the LLM writes a benchmark of the same size "
                                                "for the same request outright, judged like the agent's (needs an LLM)")
    def post(self, request):
        data = BaselineStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = _version_of(request, data)
        return _started(lambda: services.baseline_start(version=version, user=request.user), JudgeRunSerializer)


class JudgeScoreFilter(FilterSet):
    benchmark = IntegerFilter(field_name="sample__version__benchmark", help_text="Benchmark id.")
    version = IntegerFilter(field_name="sample__version__number", help_text="Version number.")
    sample = IntegerFilter(field_name="sample")
    dimension = filters.ChoiceFilter(choices=JudgeScore.Dimension.choices)
    model = filters.CharFilter(help_text='"rules" or an LLM name.')

    class Meta:
        model = JudgeScore
        fields = ["benchmark", "version", "sample", "dimension", "model"]


@extend_schema_view(list=extend_schema(summary="Your teams' judge scores", tags=["evaluation"]),
                    retrieve=extend_schema(summary="A judge score", tags=["evaluation"]))
class JudgeScoreViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = JudgeScoreSerializer
    filterset_class = JudgeScoreFilter

    def get_queryset(self):
        return (JudgeScore.objects.filter(team_id__in=team_ids_for_user(user=self.request.user))
                .select_related("sample").order_by("sample_id", "model", "dimension"))


class ModelEndpointSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    api_key_set = serializers.BooleanField(read_only=True, help_text="Whether a key is stored (it is never shown).")

    class Meta:
        model = ModelEndpoint
        fields = ["id", "team", "name", "base_url", "model", "api_key_set", "price_input", "price_output", "family",
                  "scale", "concurrency", "created_at"]
        read_only_fields = ["id", "team", "api_key_set", "created_at"]
        extra_kwargs = {"price_input": {"min_value": 0}, "price_output": {"min_value": 0}}  # no negative prices


ENV_KEY_GONE = ("The platform no longer reads keys from its environment: give the key itself as api_key "
                "(stored encrypted, never shown again).")


class ModelEndpointInputSerializer(ModelEndpointSerializer):
    team_slug = serializers.CharField(write_only=True, help_text="The team the model is registered in.")
    api_key = serializers.CharField(
        write_only=True, required=False, allow_blank=True, trim_whitespace=True,
        max_length=services.API_KEY_MAX_LENGTH, style={"input_type": "password"},
        help_text="The model's API key: stored encrypted, never returned, sent only to this base URL's origin. "
                  "Omitted: the stored key stays (unless base_url moves to another origin); empty: removed.")

    class Meta(ModelEndpointSerializer.Meta):
        fields = [*ModelEndpointSerializer.Meta.fields, "team_slug", "api_key"]
        validators = []  # (team, name) is an upsert, decided by the service

    def validate(self, attrs):
        # An old client naming a server variable gets told, rather than a model silently without a key.
        if "api_key_env" in self.initial_data:
            raise serializers.ValidationError({"api_key_env": ENV_KEY_GONE})
        return attrs


@extend_schema_view(list=extend_schema(summary="Your teams' registered target models", tags=["evaluation"]),
                    retrieve=extend_schema(summary="A registered target model", tags=["evaluation"]))
class ModelEndpointViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ModelEndpointSerializer

    def get_queryset(self):
        return selectors.endpoint_list(team_ids=team_ids_for_user(user=self.request.user))

    @extend_schema(request=ModelEndpointInputSerializer, responses={201: ModelEndpointSerializer, 400: ERRORS_400},
                   tags=["evaluation"], summary="Register (or update, by name) a target model: an OpenAI-compatible "
                                                "endpoint at a public address (or one the operator allows), with "
                                                "its key (write-only, stored encrypted)")
    def create(self, request):
        data = ModelEndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        team = Team.objects.filter(slug=values.pop("team_slug"), pk__in=team_ids_for_user(user=request.user)).first()
        if team is None:
            raise NotFound("No such team of yours.")
        try:
            endpoint = services.endpoint_create(team=team, user=request.user, **values)
        except PermissionDenied as exc:
            raise ApiPermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            return Response(validation_error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        return Response(ModelEndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class EvalRunSerializer(serializers.ModelSerializer):
    benchmark = serializers.IntegerField(source="version.benchmark_id", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    model = serializers.CharField(source="endpoint.name", read_only=True)

    class Meta:
        model = EvalRun
        fields = ["id", "benchmark", "version", "endpoint", "model", "status", "progress_done", "progress_total",
                  "accuracy", "summary", "error", "created_at", "started_at", "finished_at"]
        read_only_fields = fields


class EvalStartInputSerializer(serializers.Serializer):
    benchmark = BoundedIntegerField()
    version = BoundedIntegerField(required=False, help_text="Version number (default: the latest).")
    endpoint = BoundedIntegerField(help_text="A registered model's id.")


@extend_schema_view(list=extend_schema(summary="Your teams' evaluation runs, newest first", tags=["evaluation"]),
                    retrieve=extend_schema(summary="An evaluation run with its summary", tags=["evaluation"]))
class EvalRunViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EvalRunSerializer

    def get_queryset(self):
        return selectors.eval_run_list(team_ids=team_ids_for_user(user=self.request.user))

    @extend_schema(request=EvalStartInputSerializer, responses={202: EvalRunSerializer, 400: ERRORS_400},
                   tags=["evaluation"], summary="Evaluate a registered model on a benchmark version (in the background)")
    def create(self, request):
        data = EvalStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = _version_of(request, data)
        endpoint = (selectors.endpoint_list(team_ids=team_ids_for_user(user=request.user))
                    .filter(pk=data.validated_data["endpoint"]).first())
        if endpoint is None:
            raise NotFound("No such model in your teams.")
        return _started(lambda: services.eval_start(version=version, endpoint=endpoint, user=request.user),
                        EvalRunSerializer)


class LeaderboardApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, tags=["evaluation"],
                   parameters=[OpenApiParameter("version", int, description="Version number (default: latest)")],
                   summary="A benchmark version's leaderboard: accuracy with 95% intervals per model and subtask, "
                           "chance level, ranking stability, scaling and saturation checks")
    def get(self, request, pk: int):
        benchmark = benchmark_selectors.benchmark_get(team_ids=team_ids_for_user(user=request.user), pk=pk)
        number = int_param(request.query_params, "version", min_value=1)  # a 400 when not a whole number
        version = benchmark_selectors.version_get(benchmark=benchmark, number=number) if benchmark else None
        if version is None:
            raise NotFound("No such benchmark version in your teams.")
        return Response(selectors.leaderboard(version=version))
