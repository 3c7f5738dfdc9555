from django.urls import path

from dashboards import apis

urlpatterns = [
    path("portfolio/", apis.PortfolioDashboardApi.as_view(), name="api-dashboard-portfolio"),
    path("benchmarks/<int:pk>/quality/", apis.QualityDashboardApi.as_view(), name="api-dashboard-quality"),
    path("cost/", apis.CostDashboardApi.as_view(), name="api-dashboard-cost"),
]
