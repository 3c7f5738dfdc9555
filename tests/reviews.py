"""Reviews stored as a pull would store them, without Label Studio, for the review numbers and
dashboard tests."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from annotation.models import HumanReview, ReviewProject, ReviewTask
from benchmarks.models import Sample

# (annotator, accepted, intent, reasons, lead time s) per sample, three samples of one subtask.
REVIEWS = [
    [("ann-a", True, 5, [], 60), ("ann-b", True, 4, [], 120)],
    [("ann-a", True, 4, [], 30), ("ann-b", False, 2, ["ambiguous"], 90)],
    [("ann-a", False, 1, ["incorrect_answer", "ambiguous"], 60), ("ann-b", False, 2, ["incorrect_answer"], 60)],
]


def make_reviews(version, reviews=REVIEWS, *, ls_project_id=1) -> ReviewProject:
    """A review project with reviews stored as a pull would store them (no Label Studio needed)."""
    project = ReviewProject.objects.create(team=version.benchmark.team, version=version, ls_url="http://ls.test",
                                           ls_project_id=ls_project_id, overlap=2)
    subtask = Sample.objects.filter(version=version).values_list("subtask_id", flat=True).first()
    samples = list(Sample.objects.filter(version=version, subtask_id=subtask).order_by("pk")[:len(reviews)])
    start = timezone.now() - timedelta(hours=2)
    annotation_id = ls_project_id * 1000
    for i, (sample, per_sample) in enumerate(zip(samples, reviews)):
        task = ReviewTask.objects.create(project=project, sample=sample, ls_task_id=annotation_id + i,
                                         media_signed_at=timezone.now())
        for j, (annotator, accepted, intent, reasons, lead) in enumerate(per_sample):
            annotation_id += 1
            HumanReview.objects.create(team=project.team, project=project, task=task, sample=sample,
                                       annotation_id=annotation_id, annotator=annotator, accepted=accepted,
                                       intent_alignment=intent, reasons=reasons, lead_time_seconds=lead,
                                       reviewed_at=start + timedelta(minutes=30 * i + j))
    return project
