"""`manage.py review` against the real Label Studio: open a version for review and pull its reviews,
the version chosen with --version-number (Django keeps --version for its own release)."""
from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from annotation.labelstudio import verdict_result
from annotation.models import HumanReview, ReviewProject


@pytest.mark.django_db
def test_review_open_and_pull_from_the_command_line(review_settings, label_studio, annotators, built_text_benchmark):
    review_settings.BENCH_WEBHOOK_BASE_URL = "http://127.0.0.1:9"  # nothing listens: the pull below brings the review
    version = built_text_benchmark.version
    benchmark = version.benchmark
    out = io.StringIO()
    call_command("review", "open", str(benchmark.pk), "--version-number", "1", "--overlap", "2", stdout=out)
    project = ReviewProject.objects.get(version=version)
    assert out.getvalue() == f"{benchmark} v1: 12 new tasks; review at {project.editor_url}\n"
    assert (project.overlap, label_studio.project(project.ls_project_id)["task_number"]) == (2, 12)

    task = project.tasks.order_by("pk").first()
    annotators["ann1@bench.local"].create_annotation(task.ls_task_id, verdict_result(accept=True, intent=4))
    out = io.StringIO()
    call_command("review", "pull", str(benchmark.pk), stdout=out)  # the first pull reads every task
    assert out.getvalue() == (f"{project}: 12 tasks read, 1 new, 0 changed, 0 deleted reviews; "
                              "0 samples sent for replacement, 0 tasks retired\n")
    assert HumanReview.objects.get(project=project).annotator == "ann1@bench.local"
    # --number is the short spelling; the same version again changes nothing.
    out = io.StringIO()
    call_command("review", "open", str(benchmark.pk), "--number", "1", "--overlap", "2", stdout=out)
    assert out.getvalue() == f"{benchmark} v1: 0 new tasks; review at {project.editor_url}\n"

    with pytest.raises(CommandError, match="has no version 7"):
        call_command("review", "open", str(benchmark.pk), "--version-number", "7")
    with pytest.raises(CommandError, match="give the id of an existing benchmark"):
        call_command("review", "open", "999999")
    with pytest.raises(CommandError, match="benchmark 999999 has no version in review"):
        call_command("review", "pull", "999999")
    with pytest.raises(CommandError, match="whole number from 1 to 10"):
        call_command("review", "open", str(benchmark.pk), "--overlap", "0")
