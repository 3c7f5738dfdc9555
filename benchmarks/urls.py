"""Pages (server-rendered, login required) and the team-checked media files."""
from django.urls import path

from benchmarks import views

urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("benchmarks/<int:pk>/", views.benchmark_detail, name="benchmark-detail"),
    path("benchmarks/<int:pk>/spec/", views.spec_detail, name="spec-detail"),
    path("benchmarks/<int:pk>/freeze/", views.version_freeze, name="version-freeze"),
    path("benchmarks/<int:pk>/refresh/", views.benchmark_refresh, name="benchmark-refresh"),
    path("benchmarks/<int:pk>/export/<str:fmt>/", views.version_export, name="version-export"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run-progress"),
    path("runs/<int:pk>/cancel/", views.run_cancel, name="run-cancel"),
    path("samples/<int:pk>/", views.sample_detail, name="sample-detail"),
    path("media/<uuid:uid>/", views.media_asset, name="media-asset"),
]
