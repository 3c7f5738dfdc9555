from django.urls import path

from dashboards import apis

urlpatterns = [
    path("portfolio/", apis.PortfolioDashboardApi.as_view(), name="api-dashboard-portfolio"),
    path("benchmarks/<int:pk>/quality/", apis.QualityDashboardApi.as_view(), name="api-dashboard-quality"),
    path("cost/", apis.CostDashboardApi.as_view(), name="api-dashboard-cost"),
    path("benchmarks/<int:pk>/versions/", apis.VersionsDashboardApi.as_view(), name="api-dashboard-versions"),
]
