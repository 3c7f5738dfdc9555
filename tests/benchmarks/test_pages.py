"""The server-rendered pages: login required, team-scoped (another team's object is a 404), and
showing what a build made: spec, progress, samples with their filters, a sample, its media."""
from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from benchmarks.models import AgentRun, MediaAsset, Sample

SAMPLE_ROW = 'class="sample-row"'


def _sample(started, status: str = "ok") -> Sample:
    return Sample.objects.filter(version=started.version, status=status).order_by("id").first()


def _media_asset(started) -> MediaAsset:
    return _sample(started).media.get()


@pytest.fixture
def client_a(client, user_a):
    client.force_login(user_a)
    return client


@pytest.fixture
def client_b(client, user_b):
    client.force_login(user_b)
    return client


def _page_urls(started) -> list[str]:
    sample = _sample(started)
    return [
        reverse("portfolio"),
        reverse("benchmark-detail", args=[started.version.benchmark_id]),
        reverse("run-progress", args=[started.run.id]),
        reverse("sample-detail", args=[sample.id]),
        reverse("media-asset", args=[sample.media.get().uid]),
    ]


def test_anonymous_user_is_redirected_to_login_everywhere(client, built_image_benchmark):
    login = reverse("login")
    for url in _page_urls(built_image_benchmark):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, f"{login}?next={url}"), url


def test_portfolio_lists_the_teams_benchmarks(client_a, built_text_benchmark):
    benchmark = built_text_benchmark.version.benchmark
    response = client_a.get(reverse("portfolio"))
    assert response.status_code == 200
    rows = list(response.context["benchmarks"])
    assert [(b.pk, b.latest_version_number, b.accepted_count, b.run_status, b.run_done, b.run_total, b.run_engine)
            for b in rows] == [(benchmark.pk, 1, 12, "succeeded", 12, 12, "offline")]
    html = response.content.decode()
    assert escape(benchmark.name) in html
    assert reverse("benchmark-detail", args=[benchmark.pk]) in html
    assert "Offline engine (deterministic, no LLM)" in html


def test_portfolio_without_benchmarks_shows_the_empty_state(client_a):
    response = client_a.get(reverse("portfolio"))
    assert response.status_code == 200
    assert "No benchmarks yet" in response.content.decode()


def test_portfolio_shows_no_other_teams_benchmark(client_b, built_text_benchmark):
    response = client_b.get(reverse("portfolio"))
    assert list(response.context["benchmarks"]) == []
    assert escape(built_text_benchmark.version.benchmark.name) not in response.content.decode()


def test_benchmark_detail_shows_spec_progress_and_every_sample(client_a, built_text_benchmark):
    version = built_text_benchmark.version
    response = client_a.get(reverse("benchmark-detail", args=[version.benchmark_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count(SAMPLE_ROW) == 12
    assert len(response.context["page"].object_list) == 12
    assert "Offline engine (deterministic, no LLM)" in html
    assert escape(version.request.text) in html
    subtask = version.spec.subtasks.get()
    assert escape(subtask.name) in html
    assert reverse("run-progress", args=[built_text_benchmark.run.id]) in html
    assert 'data-finished="true"' in html


def test_run_progress_fragment_reports_the_finished_run(client_a, built_text_benchmark):
    response = client_a.get(reverse("run-progress", args=[built_text_benchmark.run.id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-finished="true"' in html
    assert 'data-status="succeeded"' in html
    assert "<strong>12</strong> / 12 samples · 100%" in html
    assert response.context["events"][-1].kind == "finished"


def test_run_progress_fragment_of_a_queued_run_is_not_finished(client_a, team_a):
    from benchmarks import services

    started = services.build_start(auto_approve=True, team=team_a, text="Reading comprehension of short news stories.",
                                   target_size=8, run_in_background=False)
    response = client_a.get(reverse("run-progress", args=[started.run.id]))
    html = response.content.decode()
    assert (started.run.status, response.status_code) == (AgentRun.Status.QUEUED, 200)
    assert 'data-finished="false"' in html
    assert "<strong>0</strong> / 8 samples · 0%" in html


def test_sample_detail_shows_question_options_and_source_record(client_a, built_text_benchmark):
    sample = _sample(built_text_benchmark)
    response = client_a.get(reverse("sample-detail", args=[sample.id]))
    assert response.status_code == 200
    html = response.content.decode()
    context = response.context
    assert context["sample"].question == sample.question
    assert escape(sample.question) in html
    options = html.split('<ol class="options">', 1)[1].split("</ol>", 1)[0]
    assert len(sample.options) == 2
    assert options.count("<li") == 2
    for option in sample.options:
        assert f">{escape(option)}</li>" in options
    assert options.count('<li class="correct">') == 1
    assert f'<li class="correct">{escape(sample.options[sample.answer_index])}</li>' in options
    assert f'<dd class="mono source-id">{escape(sample.source_record.source_id)}</dd>' in html
    assert [check["name"] for check in context["checks"]] == [c["name"] for c in sample.verification["checks"]]


def test_rejected_sample_detail_says_why(client_a, built_image_benchmark):
    sample = _sample(built_image_benchmark, status="rejected")
    response = client_a.get(reverse("sample-detail", args=[sample.id]))
    html = response.content.decode()
    failed = [check for check in sample.verification["checks"] if not check["ok"]]
    assert len(failed) == 1
    assert response.context["reasons"] == [f"{failed[0]['name']}: {failed[0]['detail']}"]
    assert html.count('<span class="badge s-false">failed</span>') == 1
    assert f"<li>{escape(response.context['reasons'][0])}</li>" in html


def test_image_sample_detail_embeds_its_image(client_a, built_image_benchmark):
    sample = _sample(built_image_benchmark)
    response = client_a.get(reverse("sample-detail", args=[sample.id]))
    html = response.content.decode()
    assert f'<img src="{reverse("media-asset", args=[sample.media.get().uid])}"' in html


def test_other_team_gets_404_for_every_object(client_b, built_image_benchmark):
    for url in _page_urls(built_image_benchmark)[1:]:
        assert client_b.get(url).status_code == 404, url


def test_team_member_gets_the_media_file(client_a, built_image_benchmark):
    asset = _media_asset(built_image_benchmark)
    response = client_a.get(reverse("media-asset", args=[asset.uid]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg" == asset.mime
    body = b"".join(response.streaming_content)
    response.close()
    assert body == (settings.MEDIA_ROOT / asset.file).read_bytes()
    assert len(body) == asset.size_bytes


def test_media_outside_the_media_root_is_404(client_a, built_image_benchmark, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("not a media file")
    asset = MediaAsset.objects.create(team=built_image_benchmark.run.team, file=str(outside), sha256="0" * 64,
                                      kind=MediaAsset.Kind.IMAGE, mime="text/plain")
    traversal = MediaAsset.objects.create(team=built_image_benchmark.run.team, file="../" * 12 + str(outside),
                                          sha256="1" * 64, kind=MediaAsset.Kind.IMAGE, mime="text/plain")
    assert client_a.get(reverse("media-asset", args=[asset.uid])).status_code == 404
    assert client_a.get(reverse("media-asset", args=[traversal.uid])).status_code == 404
    assert client_a.get(reverse("media-asset", args=[uuid.uuid4()])).status_code == 404


def test_status_filter_shows_exactly_the_rejected_samples(client_a, built_image_benchmark):
    url = reverse("benchmark-detail", args=[built_image_benchmark.version.benchmark_id])
    rejected = client_a.get(url, {"status": "rejected"})
    assert rejected.content.decode().count(SAMPLE_ROW) == 1
    assert [s.status for s in rejected.context["page"].object_list] == ["rejected"]
    accepted = client_a.get(url, {"status": "ok"})
    assert accepted.content.decode().count(SAMPLE_ROW) == 6
    everything = client_a.get(url, {"status": "no-such-status"})
    assert everything.content.decode().count(SAMPLE_ROW) == 7


def test_status_filter_with_no_rejected_samples_shows_none(client_a, built_text_benchmark):
    url = reverse("benchmark-detail", args=[built_text_benchmark.version.benchmark_id])
    response = client_a.get(url, {"status": "rejected"})
    html = response.content.decode()
    assert html.count(SAMPLE_ROW) == 0
    assert "No samples match these filters." in html


def test_subtask_filter(client_a, built_text_benchmark):
    version = built_text_benchmark.version
    url = reverse("benchmark-detail", args=[version.benchmark_id])
    key = version.spec.subtasks.get().key
    assert client_a.get(url, {"subtask": key}).content.decode().count(SAMPLE_ROW) == 12
    assert client_a.get(url, {"subtask": key, "status": "rejected"}).content.decode().count(SAMPLE_ROW) == 0


def test_samples_are_paginated(client_a, built_text_benchmark, monkeypatch):
    from benchmarks import views

    assert views.SAMPLES_PER_PAGE == 50
    # Twelve samples at five per page: three pages, the last with two rows.
    monkeypatch.setattr("benchmarks.views.SAMPLES_PER_PAGE", 5)
    url = reverse("benchmark-detail", args=[built_text_benchmark.version.benchmark_id])
    pages = [client_a.get(url, {"page": n}).content.decode().count(SAMPLE_ROW) for n in (1, 2, 3)]
    assert pages == [5, 5, 2]


def test_logout_is_a_post_form_in_the_header(client_a):
    html = client_a.get(reverse("portfolio")).content.decode()
    assert f'<form method="post" action="{reverse("logout")}">' in html
    assert client_a.post(reverse("logout")).status_code == 302
    assert client_a.get(reverse("portfolio")).status_code == 302


def test_login_page_renders(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()
