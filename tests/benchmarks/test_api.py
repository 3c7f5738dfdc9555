"""The REST API: starting a build from a request, reading benchmarks, runs and samples, team scoping,
filters and pagination, and the OpenAPI schema and docs."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from benchmarks import services
from benchmarks.adapters import run_event
from benchmarks.models import AgentRun, Benchmark, BenchmarkRequest, Sample
from teams.models import Membership
from tests.factories import MembershipFactory

CAUSAL_REQUEST = "Can a model pick the most plausible cause or effect of an everyday event?"
CAUSAL = "causal-reasoning"
ART = "art-image-visual-question-answering"
VQA = "visual-question-answering"


def build_payload(**overrides) -> dict:
    return {"team": "team-a", "text": CAUSAL_REQUEST, "target_size": 10, **overrides}


# --- POST /api/requests/ -------------------------------------------------------------------------

def test_post_request_builds_exactly_target_size_samples(api_a, user_a, pool_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post("/api/requests/", build_payload(auto_approve=True), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    request = BenchmarkRequest.objects.get(pk=body["request"])
    run = AgentRun.objects.get(pk=body["run"])
    assert body == {
        "request": request.id, "benchmark": request.benchmark_id, "version": 1, "run": run.id,
        "run_url": f"http://testserver/api/runs/{run.id}/",
        "benchmark_url": f"http://testserver/api/benchmarks/{request.benchmark_id}/",
    }
    assert response["Location"] == body["run_url"]
    assert (request.team.slug, request.created_by, request.target_size, request.text) == (
        "team-a", user_a, 10, CAUSAL_REQUEST)
    assert (run.kind, run.status, run.progress_done) == ("build", "succeeded", 10)

    samples = list(Sample.objects.filter(version__benchmark_id=body["benchmark"])
                   .select_related("subtask", "grounding__dataset", "source_record"))
    assert len(samples) == 10
    assert [s.status for s in samples] == ["ok"] * 10
    for sample in samples:
        record = sample.source_record
        assert record.dataset_id == sample.grounding.dataset_id
        assert sample.item_key == f"{sample.subtask.key}/{sample.grounding.dataset.slug}/{record.source_id}"

    followed = api_a.get(body["run_url"]).json()
    assert (followed["status"], followed["progress"]) == ("succeeded", {"done": 10, "total": 10, "percent": 100})
    assert [(c["dataset"], c["subtask"], c["done"], c["total"]) for c in followed["children"]] == [
        (CAUSAL, CAUSAL, 10, 10)]


def test_post_request_accepts_a_form_encoded_target_size(api_a, team_a):
    response = api_a.post("/api/requests/", build_payload(target_size="10"))  # multipart: every value a string

    assert response.status_code == 201, response.content
    assert BenchmarkRequest.objects.get(pk=response.json()["request"]).target_size == 10


UNKNOWN_TEAM_B = {"team": ["Unknown team 'team-b', or you may not build in it."]}


@pytest.mark.parametrize("overrides, errors", [
    ({"text": ""}, {"text": ["Describe what the benchmark should evaluate; the text is empty."]}),
    ({"text": "   \n\t "}, {"text": ["Describe what the benchmark should evaluate; the text is empty."]}),
    ({"text": None}, {"text": ["This field may not be null."]}),
    ({"target_size": 0}, {"target_size": ["target_size must be between 1 and 10000; got 0."]}),
    ({"target_size": 100000}, {"target_size": ["target_size must be between 1 and 10000; got 100000."]}),
    ({"target_size": "ten"}, {"target_size": ["target_size must be a whole number."]}),
    ({"target_size": 10.5}, {"target_size": ["target_size must be a whole number."]}),
    ({"target_size": True}, {"target_size": ["target_size must be a whole number."]}),
    ({"modalities": ["smell"]},
     {"modalities": ["Unknown modalities ['smell']; use any of ['text', 'image', 'audio']."]}),
    ({"text": "", "target_size": 0}, {"text": ["Describe what the benchmark should evaluate; the text is empty."],
                                      "target_size": ["target_size must be between 1 and 10000; got 0."]}),
    ({"seed": -1}, {"seed": ["Ensure this value is greater than or equal to 0."]}),
    ({"team": "no-such-team"}, {"team": ["Unknown team 'no-such-team', or you may not build in it."]}),
    ({"team": "team-b"}, UNKNOWN_TEAM_B),  # exists, but alice is not a member: the same words
], ids=["empty-text", "whitespace-text", "null-text", "size-0", "size-100000", "size-ten", "size-float",
        "size-bool", "unknown-modality", "text-and-size", "negative-seed", "unknown-team", "other-team"])
def test_post_request_rejects_invalid_input_with_a_message_per_field(api_a, team_b, overrides, errors):
    response = api_a.post("/api/requests/", build_payload(**overrides), format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert (Benchmark.objects.count(), BenchmarkRequest.objects.count(), AgentRun.objects.count()) == (0, 0, 0)


def test_post_request_without_target_size_is_told_it_is_required(api_a):
    response = api_a.post("/api/requests/", {"team": "team-a"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"target_size": ["This field is required."]}


def test_post_request_in_a_team_the_user_only_views_is_refused_like_an_unknown_team(api_a, user_a, team_b):
    MembershipFactory(team=team_b, user=user_a, role=Membership.Role.VIEWER)

    response = api_a.post("/api/requests/", build_payload(team="team-b"), format="json")

    assert (response.status_code, response.json()) == (400, UNKNOWN_TEAM_B)


# --- Authentication and team isolation -----------------------------------------------------------

@pytest.mark.parametrize("method, url", [
    ("post", "/api/requests/"), ("get", "/api/benchmarks/"), ("get", "/api/benchmarks/1/"), ("get", "/api/runs/"),
    ("get", "/api/runs/1/"), ("get", "/api/samples/"), ("get", "/api/samples/1/"),
])
def test_unauthenticated_requests_get_401(db, method, url):
    response = getattr(APIClient(), method)(url, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token'


def test_a_bad_token_gets_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert client.get("/api/benchmarks/").status_code == 401


def test_another_teams_objects_are_404_and_absent_from_lists(api_a, api_b, built_text_benchmark):
    benchmark_id = built_text_benchmark.version.benchmark_id
    build = built_text_benchmark.run
    cell = AgentRun.objects.get(parent=build)
    sample = Sample.objects.filter(version=built_text_benchmark.version).first()

    for url in (f"/api/benchmarks/{benchmark_id}/", f"/api/runs/{build.id}/", f"/api/runs/{cell.id}/",
                f"/api/samples/{sample.id}/"):
        assert api_b.get(url).status_code == 404, url
        assert api_a.get(url).status_code == 200, url
    for url in ("/api/benchmarks/", "/api/runs/", "/api/samples/", f"/api/samples/?benchmark={benchmark_id}",
                f"/api/runs/?benchmark={benchmark_id}"):
        assert api_b.get(url).json()["count"] == 0, url
    assert [api_a.get(url).json()["count"] for url in ("/api/benchmarks/", "/api/runs/", "/api/samples/")] == [1, 2, 12]


def test_a_missing_object_is_404(api_a):
    assert [api_a.get(url).status_code for url in ("/api/benchmarks/999999/", "/api/runs/999999/",
                                                   "/api/samples/999999/")] == [404, 404, 404]


# --- Benchmarks ----------------------------------------------------------------------------------

def test_benchmark_detail_shows_versions_spec_and_latest_run(api_a, built_text_benchmark):
    version = built_text_benchmark.version
    benchmark = Benchmark.objects.get(pk=version.benchmark_id)
    version.refresh_from_db()
    subtask = version.spec.subtasks.get()

    response = api_a.get(f"/api/benchmarks/{benchmark.id}/")

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("id", "name", "slug", "team", "description")} == {
        "id": benchmark.id, "name": CAUSAL_REQUEST, "slug": benchmark.slug, "team": "team-a",
        "description": CAUSAL_REQUEST}
    assert len(body["versions"]) == 1
    assert {k: v for k, v in body["versions"][0].items() if k != "created_at"} == {
        "number": 1, "checksum": version.checksum, "accepted_count": 12,
        # Causal items have two options: the odd-one-out baseline has nothing to pick among.
        "baselines": {"odd_one_out": {"correct": 0, "total": 0, "accuracy": 0.0, "chance": 0.0, "p_value": 1.0,
                                      "at_chance": True}},
        "spec": {"id": version.spec.id, "status": "approved", "engine": "offline", "end_state": "ok", "coverage": [
            {"key": "capability:causal-reasoning", "kind": "capability", "text": "causal reasoning", "status": "served",
             "samples": 12, "wanted": 12, "subtasks": [CAUSAL], "datasets": [CAUSAL],
             "operators": ["answer_from_letter", "balance_positions", "options_from_list", "read_text"],
             "reason": "", "uncertain": False}], "subtasks": [
            {"key": CAUSAL, "name": subtask.name, "answer_type": subtask.answer_type, "quota": 12,
             "datasets": [CAUSAL]}]},
    }
    assert len(version.checksum) == 64
    assert body["latest_run"] == {"id": built_text_benchmark.run.id, "status": "succeeded", "progress_done": 12,
                                  "progress_total": 12}


def test_benchmark_list_is_newest_first_and_a_second_version_becomes_the_latest(
        api_a, team_a, user_a, built_text_benchmark, built_image_benchmark):
    text_benchmark = Benchmark.objects.get(pk=built_text_benchmark.version.benchmark_id)
    again = services.build_start(auto_approve=True, team=team_a, user=user_a, text=CAUSAL_REQUEST, target_size=3,
                                 benchmark=text_benchmark, run_in_background=False)

    body = api_a.get("/api/benchmarks/").json()

    assert body["count"] == 2
    assert [b["id"] for b in body["results"]] == [built_image_benchmark.version.benchmark_id, text_benchmark.id]
    text = body["results"][1]
    assert [(v["number"], v["accepted_count"], v["spec"]) for v in text["versions"]] == [
        (2, 0, None), (1, 12, text["versions"][1]["spec"])]
    assert text["latest_run"] == {"id": again.run.id, "status": "queued", "progress_done": 0, "progress_total": 3}


# --- Runs ----------------------------------------------------------------------------------------

def test_run_detail_shows_progress_cells_and_events(api_a, built_text_benchmark):
    build = built_text_benchmark.run
    build.refresh_from_db()
    cell = AgentRun.objects.get(parent=build)

    body = api_a.get(f"/api/runs/{build.id}/").json()

    assert {k: body[k] for k in ("id", "kind", "status", "stage", "engine", "progress", "error", "benchmark",
                                 "version", "parent")} == {
        "id": build.id, "kind": "build", "status": "succeeded", "stage": "done", "engine": "offline",
        "progress": {"done": 12, "total": 12, "percent": 100}, "error": "",
        "benchmark": built_text_benchmark.version.benchmark_id, "version": 1, "parent": None}
    assert body["started_at"] is not None and body["finished_at"] is not None
    assert body["children"] == [{"id": cell.id, "status": "succeeded", "dataset": CAUSAL, "subtask": CAUSAL, "shard": 0, "shards": 1,
                                 "done": 12, "total": 12}]
    assert [(e["level"], e["kind"]) for e in body["events"]] == [
        ("info", "queued"), ("info", "planned"), ("info", "finished")]
    assert body["events"][-1]["message"] == "12 of 12 samples made"

    cell_body = api_a.get(f"/api/runs/{cell.id}/").json()
    assert (cell_body["kind"], cell_body["parent"], cell_body["children"]) == ("cell", build.id, [])
    assert [e["kind"] for e in cell_body["events"]] == ["cell_done"]


def test_run_events_are_the_last_twenty_oldest_first(api_a, built_text_benchmark):
    build = built_text_benchmark.run
    for n in range(25):
        run_event(build, "note", f"note {n}")

    events = api_a.get(f"/api/runs/{build.id}/").json()["events"]

    assert [e["message"] for e in events] == [f"note {n}" for n in range(5, 25)]


def test_run_list_filters_by_benchmark_status_and_kind(api_a, team_a, user_a, built_text_benchmark,
                                                       built_image_benchmark):
    queued = services.build_start(auto_approve=True, team=team_a, user=user_a, text=CAUSAL_REQUEST, target_size=5,
                                  run_in_background=False)
    text_id = built_text_benchmark.version.benchmark_id

    def ids(query: str) -> list[int]:
        body = api_a.get(f"/api/runs/?{query}").json()
        assert body["count"] == len(body["results"])
        return [run["id"] for run in body["results"]]

    text_runs = [built_text_benchmark.run.id, AgentRun.objects.get(parent=built_text_benchmark.run).id]
    assert len(ids("")) == 5
    assert sorted(ids(f"benchmark={text_id}")) == sorted(text_runs)
    assert sorted(ids(f"benchmark={text_id}&status=succeeded")) == sorted(text_runs)
    assert ids(f"benchmark={text_id}&status=failed") == []
    assert ids("status=queued") == [queued.run.id]
    assert sorted(ids("kind=build")) == sorted([built_text_benchmark.run.id, built_image_benchmark.run.id,
                                                queued.run.id])
    assert api_a.get("/api/runs/?status=exploded").status_code == 400


# --- Samples -------------------------------------------------------------------------------------

def sample_count(client: APIClient, query: str = "") -> int:
    response = client.get(f"/api/samples/?{query}")
    assert response.status_code == 200, response.content
    return response.json()["count"]


def test_sample_list_filters_by_benchmark_version_subtask_and_status(api_a, built_text_benchmark,
                                                                     built_image_benchmark):
    image_id = built_image_benchmark.version.benchmark_id

    assert sample_count(api_a) == 19  # 12 text (ok) + 6 image (ok) + 1 image rejected by verification
    assert sample_count(api_a, f"subtask={CAUSAL}") == 12
    assert sample_count(api_a, f"subtask={VQA}") == 7
    assert sample_count(api_a, "subtask=no-such-subtask") == 0
    assert sample_count(api_a, "status=ok") == 18
    assert sample_count(api_a, "status=rejected") == 1
    assert sample_count(api_a, "status=repaired") == 0
    assert sample_count(api_a, f"benchmark={image_id}") == 7
    assert sample_count(api_a, f"benchmark={image_id}&status=ok") == 6
    assert sample_count(api_a, f"benchmark={image_id}&version=1&subtask={VQA}&status=rejected") == 1
    assert sample_count(api_a, f"benchmark={image_id}&version=2") == 0
    assert api_a.get("/api/samples/?status=great").status_code == 400


def test_sample_detail_shows_media_source_and_checks(api_a, built_image_benchmark):
    sample = (Sample.objects.filter(version=built_image_benchmark.version, status="ok")
              .select_related("source_record", "grounding__dataset").first())
    asset = sample.media.get()

    body = api_a.get(f"/api/samples/{sample.id}/").json()

    assert {k: body[k] for k in ("id", "item_key", "benchmark", "version", "subtask", "question", "answer",
                                 "answer_type", "status", "engine")} == {
        "id": sample.id, "item_key": sample.item_key, "benchmark": built_image_benchmark.version.benchmark_id,
        "version": 1, "subtask": VQA, "question": sample.question, "answer": sample.answer,
        "answer_type": sample.answer_type, "status": "ok", "engine": "offline"}
    assert (body["options"], body["answer_index"], body["context"]) == (sample.options, sample.answer_index,
                                                                        sample.context)
    assert body["media"] == [{"uid": str(asset.uid), "kind": "image", "mime": asset.mime,
                              "url": f"/media/{asset.uid}/"}]
    assert body["source"] == {"dataset": ART, "dataset_name": sample.grounding.dataset.name,
                              "source_id": sample.source_record.source_id, "record_id": sample.source_record_id}
    assert (body["provenance"], body["verification"]) == (sample.provenance, sample.verification)


def test_sample_list_is_paginated_fifty_a_page(api_a, team_a, user_a, pool_a):
    started = services.build_start(auto_approve=True, team=team_a, user=user_a, text=CAUSAL_REQUEST, target_size=60,
                                   run_in_background=False)
    services.build_run_foreground(run_id=started.run.id)

    first = api_a.get("/api/samples/").json()
    second = api_a.get("/api/samples/?page=2").json()

    # The list holds the version's rejected samples too (a key sharing its root with the question).
    total = Sample.objects.filter(version=started.version).count()
    assert Sample.objects.filter(version=started.version, status="ok").count() == 60 and 60 <= total < 100
    assert (first["count"], len(first["results"]), first["previous"]) == (total, 50, None)
    assert first["next"] == "http://testserver/api/samples/?page=2"
    assert (second["count"], len(second["results"]), second["next"]) == (total, total - 50, None)
    ids = [s["id"] for s in first["results"] + second["results"]]
    assert ids == sorted(Sample.objects.filter(version=started.version).values_list("id", flat=True))
    assert api_a.get("/api/samples/?page=3").status_code == 404


# --- Schema and docs -----------------------------------------------------------------------------

def test_schema_lists_the_api_paths(client, db):
    response = client.get("/api/schema/?format=json")

    assert response.status_code == 200
    ours = {path for path in response.json()["paths"]
            if path.split("/")[2] in {"requests", "benchmarks", "runs", "samples"}}
    assert ours == {"/api/requests/", "/api/benchmarks/", "/api/benchmarks/{id}/", "/api/benchmarks/{id}/freeze/", "/api/benchmarks/{id}/refresh/",
                    "/api/benchmarks/{id}/export/", "/api/runs/", "/api/runs/{id}/", "/api/runs/{id}/cancel/",
                    "/api/samples/",
                    "/api/samples/{id}/"}


def test_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "/api/requests/:" in (tmp_path / "schema.yaml").read_text()


def test_docs_page_renders(client, db):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    # Swagger UI's start-up script is a file of its own (the CSP runs no inline script); it loads the schema.
    assert b"/api/schema/" in client.get("/api/docs/?script=").content


def test_list_endpoints_query_the_database_a_fixed_number_of_times(api_a, team_a, user_a, built_text_benchmark):
    """Prefetching keeps each list page's queries independent of how many objects it shows."""
    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api_a.get(url).status_code == 200
        return len(captured.captured_queries)

    urls = ("/api/benchmarks/", "/api/runs/", "/api/samples/")
    before = [queries(url) for url in urls]
    started = services.build_start(auto_approve=True, team=team_a, user=user_a, text=CAUSAL_REQUEST, target_size=20,
                                   run_in_background=False)
    services.build_run_foreground(run_id=started.run.id)

    assert [queries(url) for url in urls] == before
