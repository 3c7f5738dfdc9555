"""Review pages, the Label Studio webhook and the signed media URLs of review tasks."""
from django.urls import path

from annotation import views

urlpatterns = [
    path("", views.review_index, name="review-index"),
    path("benchmarks/<int:pk>/", views.benchmark_review, name="benchmark-review"),
    path("webhook/<uuid:uid>/", views.review_webhook, name="review-webhook"),
    path("media/<str:token>/", views.review_media, name="review-media"),
]
