from django.urls import path

from evaluation import views

urlpatterns = [
    path("benchmarks/<int:pk>/judge/", views.judge_start, name="judge-start"),
    path("benchmarks/<int:pk>/evaluate/", views.eval_start, name="eval-start"),
    path("benchmarks/<int:pk>/baseline/", views.baseline_start, name="baseline-start"),
]
