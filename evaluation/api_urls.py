from django.urls import path
from rest_framework.routers import DefaultRouter

from evaluation import apis

router = DefaultRouter()
router.register("judge-scores", apis.JudgeScoreViewSet, basename="api-judge-score")

urlpatterns = [
    path("judge/", apis.JudgeStartApi.as_view(), name="api-judge-start"),
    *router.urls,
]
