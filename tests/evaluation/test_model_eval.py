"""Evaluating target models against the local OpenAI-protocol server playing models of known
behaviour: one right 80% of the time, one 60%, one that answers without looking at the image, one
always right; exact accuracies, the ranking, the flags, images sent as image parts, resumption."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from agents.evaluate import EvalItem
from agents.evaluate.scoring import extract_letter, score_reply
from agents.evaluate.stats import bootstrap_ci, kendall_tau
from benchmarks.models import Sample
from evaluation import selectors, services
from evaluation.models import EvalRun, ModelAnswer
from tests.llm_server import ok, server_error

OPTIONS = ["a cat", "a dog", "a horse", "a bird"]
LETTERS = "ABCD"
PICTURE = re.compile(r"picture (\d+)\?")


@pytest.fixture
def picture_version(built_image_benchmark):
    """Ten image items, "What is shown in picture i?", keyed (i mod 4): A for items 0, 4 and 8."""
    version = built_image_benchmark.version
    samples = list(Sample.objects.filter(version=version, status__in=["ok", "repaired"]).order_by("pk"))
    Sample.objects.filter(version=version).exclude(pk__in=[s.pk for s in samples]).delete()
    for i in range(10):
        base = samples[i % len(samples)]
        fields = {"question": f"What is shown in picture {i}?", "options": OPTIONS, "answer_index": i % 4,
                  "answer": OPTIONS[i % 4], "answer_type": "choice", "context": ""}
        if i < len(samples):
            Sample.objects.filter(pk=base.pk).update(**fields)
        else:
            media = list(base.media.all())
            base.pk, base.item_key = None, f"{base.item_key}/copy{i}"
            for name, value in fields.items():
                setattr(base, name, value)
            base.save()
            base.media.set(media)
    return version


def _behaviour(request) -> object:
    """The server's models: each reply depends on the model asked and the picture's number."""
    model = request.body["model"]
    text = request.text
    i = int(PICTURE.search(text).group(1))
    key = i % 4
    wrong = LETTERS[(key + 1) % 4]
    if model == "right80":
        return ok(wrong if i % 5 == 4 else f"Answer: {LETTERS[key]}", prompt_tokens=120, completion_tokens=3)
    if model == "right60":
        return ok(f"({wrong})" if i % 5 in (3, 4) else OPTIONS[key], prompt_tokens=120, completion_tokens=4)
    if model == "blind":  # never looks at the image
        return ok("A", prompt_tokens=120, completion_tokens=1)
    return ok(LETTERS[key], prompt_tokens=120, completion_tokens=1)


@pytest.fixture
def targets(settings, allow_llm_server, team_a, user_a):
    settings.LLM_MAX_RETRIES = 1
    settings.LLM_RETRY_AFTER_MAX_S = 0.1
    llm_server = allow_llm_server
    llm_server.default = _behaviour
    family = {"right60": ("toy", 7), "right80": ("toy", 70), "blind": ("toy", 100), "perfect": ("", None)}
    return {name: services.endpoint_create(team=team_a, user=user_a, name=name, base_url=llm_server.base_url,
                                           model=name, price_input=1.0, price_output=4.0,
                                           family=family[name][0], scale=family[name][1], concurrency=4)
            for name in family}


def _evaluate(version, endpoint, user, capture) -> EvalRun:
    with capture(execute=True):
        run = services.eval_start(version=version, endpoint=endpoint, user=user)
    run.refresh_from_db()
    return run


def test_known_models_get_their_exact_accuracies_ranking_and_flags(picture_version, targets, user_a, llm_server,
                                                                   django_capture_on_commit_callbacks):
    runs = {name: _evaluate(picture_version, endpoint, user_a, django_capture_on_commit_callbacks)
            for name, endpoint in targets.items() if name != "perfect"}
    assert {name: (run.status, run.accuracy) for name, run in runs.items()} == {
        "right80": ("succeeded", 0.8), "right60": ("succeeded", 0.6), "blind": ("succeeded", 0.3)}
    summary = runs["right80"].summary
    assert (summary["answered"], summary["decided"], summary["failed"], summary["chance"]) == (10, 10, 0, 0.25)
    assert summary["ci95"] == list(bootstrap_ci([i % 5 != 4 for i in range(10)]))
    assert summary["prompt_tokens"] == 1200 and summary["completion_tokens"] == 30
    assert summary["money_usd"] == "0.001320"  # 1,200 x $1 + 30 x $4 per million
    # Every request carried the item's image as an image part and no key.
    assert len(llm_server.requests) == 30
    for request in llm_server.requests:
        assert "authorization" not in request.headers
        parts = request.messages[0]["content"]
        assert [p["type"] for p in parts] == ["text", "image_url"]
        assert parts[1]["image_url"]["url"].startswith("data:image/")
    board = selectors.leaderboard(version=picture_version)
    assert [(m["rank"], m["model"], m["accuracy"], m["above_chance"]) for m in board["models"]] == [
        (1, "right80", 0.8, True), (2, "right60", 0.6, board["models"][1]["above_chance"]), (3, "blind", 0.3, False)]
    assert board["scaling"] == {"toy": {"monotonic": False, "violations": [
        "blind (scale 100) scores 30.0%, below right80 (scale 70) at 80.0%"]}}
    assert board["saturated"] is False
    assert "blind is not above chance (25.0%)" in board["warnings"][0]
    assert 0.5 < board["ranking_stability"] <= 1.0

    _evaluate(picture_version, targets["perfect"], user_a, django_capture_on_commit_callbacks)
    board = selectors.leaderboard(version=picture_version)
    assert board["models"][0]["model"] == "perfect" and board["saturated"] is True
    assert board["warnings"][-1].startswith("saturated: the best model scores 100.0%")


def test_a_run_resumes_and_asks_again_only_what_failed(picture_version, targets, user_a, llm_server,
                                                       django_capture_on_commit_callbacks):
    llm_server.default = lambda request: (server_error(500) if PICTURE.search(request.text).group(1) in ("8", "9")
                                          else _behaviour(request))
    run = _evaluate(picture_version, targets["right80"], user_a, django_capture_on_commit_callbacks)
    assert run.summary["failed"] == 2 and run.summary["decided"] == 8 and run.accuracy == 0.875  # 7 of items 0-7
    assert ModelAnswer.objects.filter(run=run, method="error").count() == 2
    asked = len(llm_server.requests)
    llm_server.default = _behaviour
    # As a worker killed mid-run leaves it: running, its heartbeat stopped. While the heartbeat is fresh,
    # another delivery of the task leaves the run to the worker running it.
    EvalRun.objects.filter(pk=run.pk).update(status=EvalRun.Status.RUNNING, heartbeat_at=timezone.now())
    services.eval_run(run_id=run.pk)
    assert len(llm_server.requests) == asked
    EvalRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    services.eval_run(run_id=run.pk)
    run.refresh_from_db()
    assert len(llm_server.requests) == asked + 2  # only the two that failed
    assert run.accuracy == 0.8 and run.summary["failed"] == 0


def test_replies_are_read_the_way_people_write_them():
    options = ["a cat", "a dog", "a horse"]
    for reply, letter in [("B", "B"), ("b", "B"), ("Answer: C", "C"), ("(A) a cat", "A"), ("**B**", "B"),
                          ("a dog", "B"), ("The answer is B.", "B"), ("I think it is a horse", "C"), ("C.", "C"),
                          ("A cat", "A"), ("I cannot tell", ""), ("Maybe A or B", "")]:
        assert extract_letter(reply, options) == letter, reply
    free = EvalItem(item_key="k", subtask="s", question="Capital of France?", answer="Paris",
                    accepted_answers=["Paris, France"], answer_type="free_text")
    assert score_reply(free, "paris.") == ("paris", True, "exact")
    assert score_reply(free, "Paris, France") == ("paris france", True, "accepted")
    assert score_reply(free, "Lyon") == ("lyon", None, "judge")
    assert kendall_tau([3, 2, 1], [3, 2, 1]) == 1.0 and kendall_tau([3, 2, 1], [1, 2, 3]) == -1.0


def test_models_and_runs_belong_to_their_team(api_a, api_b, picture_version, targets, llm_server):
    assert api_a.get("/api/evaluation/models/").json()["count"] == 4
    assert api_b.get("/api/evaluation/models/").json()["count"] == 0
    response = api_b.post("/api/evaluation/runs/", {"benchmark": picture_version.benchmark_id,
                                                    "endpoint": targets["right80"].pk}, format="json")
    assert response.status_code == 404
    assert api_b.get(f"/api/evaluation/benchmarks/{picture_version.benchmark_id}/leaderboard/").status_code == 404
    bad = api_a.post("/api/evaluation/models/", {"team_slug": "team-a", "name": "x", "base_url": "ftp://x",
                                                 "model": "m"}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"base_url"}
    key = api_a.post("/api/evaluation/models/", {"team_slug": "team-a", "name": "x", "base_url": llm_server.base_url,
                                                 "model": "m", "api_key": "sk live"}, format="json")
    assert key.status_code == 400 and key.json() == {
        "api_key": ["The API key may hold printable ASCII characters only (no spaces or line breaks)."]}
    assert api_b.post("/api/evaluation/models/", {"team_slug": "team-a", "name": "x", "base_url": llm_server.base_url,
                                                  "model": "m"}, format="json").status_code == 404


def test_the_models_page_shows_the_leaderboard_the_api_gives(client, api_a, user_a, user_b, picture_version, targets,
                                                             django_capture_on_commit_callbacks):
    from tests.dashboards.test_dashboards import _charts, _page_data

    client.force_login(user_a)
    url = f"/dashboards/benchmarks/{picture_version.benchmark_id}/models/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/evaluation/benchmarks/{picture_version.benchmark_id}/evaluate/",
                               {"endpoint": targets["right60"].pk})
    assert response.status_code == 302 and response["Location"].endswith(f"{url}?version=1")
    page = client.get(url)
    assert page.status_code == 200
    api = api_a.get(f"/api/evaluation/benchmarks/{picture_version.benchmark_id}/leaderboard/").json()
    assert _page_data(page) == api and api["models"][0]["accuracy"] == 0.6
    assert _charts(page)["accuracy"]["data"][0]["y"] == [60.0]
    client.force_login(user_b)
    assert client.get(url).status_code == 404
    assert client.post(f"/evaluation/benchmarks/{picture_version.benchmark_id}/evaluate/",
                       {"endpoint": targets["right60"].pk}).status_code == 404


def test_recordings_go_to_the_model_as_input_audio_parts(tmp_path):
    from agents.evaluate.scoring import eval_messages
    from agents.types import MediaRef

    wav = tmp_path / "clip.wav"
    wav.write_bytes(b"RIFF....WAVEfmt ")
    item = EvalItem(item_key="k", subtask="s", question="Who speaks first?", options=["Ann", "Bob"], answer="Ann",
                    answer_index=0, media=[MediaRef(path="", file="clip.wav", abs_path=str(wav), kind="audio")])
    [message] = eval_messages(item)
    text, audio = message["content"]
    assert text["type"] == "text" and text["text"].endswith("Answer with the letter of the correct option only.")
    assert audio == {"type": "input_audio", "input_audio": {"data": "UklGRi4uLi5XQVZFZm10IA==", "format": "wav"}}
