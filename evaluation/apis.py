"""The REST API of evaluation: start a judge run of a benchmark version; read judge scores.
Reads are scoped to the caller's teams; another team's benchmark is a 404."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from benchmarks import selectors as benchmark_selectors
from benchmarks.apis import ERRORS_400, validation_error_detail
from benchmarks.models import AgentRun
from evaluation import services
from evaluation.models import JudgeScore
from teams.selectors import team_ids_for_user


class JudgeStartInputSerializer(serializers.Serializer):
    benchmark = serializers.IntegerField(help_text="Benchmark id.")
    version = serializers.IntegerField(required=False, help_text="Version number (default: the latest).")
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


class JudgeStartApi(APIView):
    @extend_schema(request=JudgeStartInputSerializer, responses={202: JudgeRunSerializer, 400: ERRORS_400},
                   tags=["evaluation"], summary="Judge a benchmark version's samples (a judge run, in the background)")
    def post(self, request):
        data = JudgeStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        benchmark = benchmark_selectors.benchmark_get(team_ids=team_ids_for_user(user=request.user),
                                                      pk=data.validated_data["benchmark"])
        version = (benchmark_selectors.version_get(benchmark=benchmark, number=data.validated_data.get("version"))
                   if benchmark else None)
        if version is None:
            raise NotFound("No such benchmark version in your teams.")
        try:
            run = services.judge_start(version=version, user=request.user, engine=data.validated_data["engine"])
        except PermissionDenied as exc:
            raise ApiPermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            return Response(validation_error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        run.refresh_from_db()
        return Response(JudgeRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class JudgeScoreFilter(filters.FilterSet):
    benchmark = filters.NumberFilter(field_name="sample__version__benchmark", help_text="Benchmark id.")
    version = filters.NumberFilter(field_name="sample__version__number", help_text="Version number.")
    sample = filters.NumberFilter(field_name="sample")
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
