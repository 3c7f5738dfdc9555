from django.urls import path

from evaluation import views

urlpatterns = [
    path("benchmarks/<int:pk>/judge/", views.judge_start, name="judge-start"),
]
