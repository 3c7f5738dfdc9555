"""The dashboards' numbers as JSON: the very dicts the pages render."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboards import selectors
from dashboards.views import version_for
from teams.selectors import team_ids_for_user


class PortfolioDashboardApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="Portfolio: size, acceptance, intent alignment and cost "
                                                          "of each benchmark's latest version")
    def get(self, request):
        return Response(selectors.portfolio_overview(team_ids=team_ids_for_user(user=request.user)))


class QualityDashboardApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="A benchmark version's human review: acceptance, intent "
                                                          "alignment, reject reasons, agreement, minutes per sample",
                   parameters=[OpenApiParameter("version", int, description="Version number (default: latest)")])
    def get(self, request, pk: int):
        benchmark, version = version_for(request, pk)
        return Response(selectors.benchmark_quality(benchmark=benchmark, version=version))


class CostDashboardApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="Tokens and money by agent role and model, minutes per "
                                                          "sample agent vs human, spending per day")
    def get(self, request):
        return Response(selectors.cost_overview(team_ids=team_ids_for_user(user=request.user)))


class VersionsDashboardApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="A benchmark's versions side by side: size per subtask, "
                                                          "source records shared with earlier versions, judge "
                                                          "scores, human acceptance, model accuracies")
    def get(self, request, pk: int):
        benchmark, _ = version_for(request, pk)
        return Response({"benchmark_id": benchmark.pk, "versions": selectors.version_comparison(benchmark=benchmark)})
