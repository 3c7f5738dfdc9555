from django.urls import path
from rest_framework.routers import DefaultRouter

from evaluation import apis

router = DefaultRouter()
router.register("judge-scores", apis.JudgeScoreViewSet, basename="api-judge-score")
router.register("models", apis.ModelEndpointViewSet, basename="api-model-endpoint")
router.register("runs", apis.EvalRunViewSet, basename="api-eval-run")

urlpatterns = [
    path("judge/", apis.JudgeStartApi.as_view(), name="api-judge-start"),
    path("baseline/", apis.BaselineStartApi.as_view(), name="api-baseline-start"),
    path("benchmarks/<int:pk>/leaderboard/", apis.LeaderboardApi.as_view(), name="api-leaderboard"),
    *router.urls,
]
