"""URL map: pages, the REST API with its OpenAPI schema and docs, and the admin."""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from common.login_throttle import LoginView, ThrottledAdminAuthenticationForm

# The admin's login form says when a username is locked out (common/login_throttle.py).
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script), which the CSP allows.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/pool/", include("datapool.api_urls")),
    path("api/dashboards/", include("dashboards.api_urls")),
    path("api/review/", include("annotation.api_urls")),
    path("api/evaluation/", include("evaluation.api_urls")),
    path("api/", include("benchmarks.api_urls")),
    path("pool/", include("datapool.urls")),
    path("review/", include("annotation.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("evaluation/", include("evaluation.urls")),
    path("", include("benchmarks.urls")),
]
