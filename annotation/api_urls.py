from rest_framework.routers import DefaultRouter

from annotation import apis

router = DefaultRouter()
router.register("projects", apis.ReviewProjectViewSet, basename="api-review-project")
router.register("reviews", apis.HumanReviewViewSet, basename="api-review")

urlpatterns = router.urls
