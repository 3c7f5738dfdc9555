"""Routes of the pool's REST API, mounted under /api/pool/. Names start with "api-pool-"."""
from django.urls import path
from rest_framework.routers import DefaultRouter

from datapool import apis, import_apis

router = DefaultRouter()
router.include_root_view = False
router.register("datasets", apis.DatasetViewSet, basename="api-pool-dataset")

urlpatterns = [
    path("search/", apis.DatasetSearchApi.as_view(), name="api-pool-search"),
    path("imports/", import_apis.ImportJobCreateApi.as_view(), name="api-pool-import-create"),
    path("imports/<int:pk>/", import_apis.ImportJobDetailApi.as_view(), name="api-pool-import-detail"),
    path("datasets/<int:pk>/card/", apis.DatasetCardApi.as_view(), name="api-pool-dataset-card"),
    *router.urls,
]
