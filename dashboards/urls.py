from django.urls import path

from dashboards import views

urlpatterns = [
    path("", views.portfolio_dashboard, name="dashboard-portfolio"),
    path("benchmarks/<int:pk>/", views.quality_dashboard, name="dashboard-quality"),
    path("benchmarks/<int:pk>/models/", views.models_dashboard, name="dashboard-models"),
    path("benchmarks/<int:pk>/versions/", views.versions_dashboard, name="dashboard-versions"),
    path("cost/", views.cost_dashboard, name="dashboard-cost"),
    path("plotly.min.js", views.plotly_js, name="plotly-js"),
]
