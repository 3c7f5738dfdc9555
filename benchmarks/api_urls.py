"""Routes of the REST API, mounted under /api/. Names start with "api-" so they never clash with pages."""
from django.urls import path
from rest_framework.routers import DefaultRouter

from benchmarks import apis

router = DefaultRouter()
router.register("benchmarks", apis.BenchmarkViewSet, basename="api-benchmark")
router.register("specs", apis.SpecViewSet, basename="api-spec")
router.register("runs", apis.RunViewSet, basename="api-run")
router.register("samples", apis.SampleViewSet, basename="api-sample")

urlpatterns = [
    path("requests/", apis.BuildRequestCreateApi.as_view(), name="api-request-create"),
    *router.urls,
]
