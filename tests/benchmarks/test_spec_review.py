"""Review of a spec before its build: a request without auto-approve plans and waits; the team's
owners and editors set quotas, drop subtasks, re-plan and approve (service, API and page); nobody
else can; an auto-approved request builds straight away as before."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse

from benchmarks import services
from benchmarks.models import AgentRun, Grounding, Sample, Spec
from datapool.importers.tabular import dataset_import_table
from datapool.models import Dataset
from tests.conftest import SEED_POOL
from teams.models import Membership
from tests.factories import MembershipFactory, UserFactory

# Plans three text subtasks from the pool_a datasets: quotas 11 / 11 / 8 of 30.
SOCIAL_DATA = "social-science-question-answering"
THREE_WAY = ("Can a model pick the most plausible cause of an event, answer social science questions "
             "and judge natural language inference?")
NLI, SOCIAL, CAUSAL = "natural-language-inference", "social-reasoning", "causal-reasoning"
PLANNED = {NLI: 11, CAUSAL: 11, SOCIAL: 8}
NOT_WRITER = "Only owners and editors of team team-a may review this spec."


def _planned(team, user, text=THREE_WAY, size=30):
    """A review build planned in the foreground: the run waits, the spec is a draft."""
    started = services.build_start(team=team, user=user, text=text, target_size=size, run_in_background=False)
    services.build_plan(run_id=started.run.id)
    return started


def _spec(started) -> Spec:
    return Spec.objects.get(version=started.version)


def _quotas(spec: Spec) -> dict[str, int]:
    return dict(spec.subtasks.values_list("key", "quota"))


def _accepted_per_subtask(started) -> dict[str, int]:
    rows = (Sample.objects.filter(version=started.version, status__in=["ok", "repaired"])
            .values_list("subtask__key").annotate(n=Count("id")))
    return dict(rows)


@pytest.fixture
def viewer_a(team_a):
    user = UserFactory(username="vera")
    MembershipFactory(team=team_a, user=user, role=Membership.Role.VIEWER)
    return user


# --- Waiting for approval ------------------------------------------------------------------------

def test_a_request_without_auto_approve_plans_and_waits(api_a, user_a, pool_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post("/api/requests/", {"team": "team-a", "text": THREE_WAY, "target_size": 30},
                              format="json")

    assert response.status_code == 201, response.content
    run = AgentRun.objects.get(pk=response.json()["run"])
    assert (run.status, run.stage, run.progress_done) == ("awaiting_approval", "review", 0)
    assert AgentRun.objects.filter(parent=run).count() == 0
    assert Sample.objects.filter(version=run.version).count() == 0
    spec = Spec.objects.get(version=run.version)
    assert (spec.status, spec.approved_at, spec.approved_by) == ("draft", None, None)
    assert _quotas(spec) == PLANNED
    assert list(run.events.values_list("kind", flat=True)) == ["queued", "planned", "awaiting_approval"]
    assert api_a.get(f"/api/runs/{run.id}/").json()["status"] == "awaiting_approval"


def test_a_review_build_in_the_foreground_stops_after_planning(team_a, user_a, pool_a):
    started = services.build_start(team=team_a, user=user_a, text=THREE_WAY, target_size=30, run_in_background=False)
    run = services.build_run_foreground(run_id=started.run.id)

    assert (run.status, run.children.count(), Sample.objects.filter(version=started.version).count()) == (
        "awaiting_approval", 0, 0)
    # A duplicate planning task finds the run waiting and does nothing.
    assert services.build_plan(run_id=run.id) == []
    assert Spec.objects.filter(version=started.version).count() == 1


def test_an_ungroundable_review_request_fails_as_before(team_a, user_a, pool_a):
    started = _planned(team_a, user_a, text="Transcribe spoken audio recordings of phone calls.", size=5)
    run = AgentRun.objects.get(pk=started.run.id)
    assert (run.status, run.stage) == ("failed", "failed")
    assert run.error.startswith("Planning ended ungroundable")


def test_the_auto_approve_path_builds_straight_away(team_a, user_a, pool_a):
    started = services.build_start(auto_approve=True, team=team_a, user=user_a, text=THREE_WAY, target_size=30,
                                   run_in_background=False)
    run = services.build_run_foreground(run_id=started.run.id)

    spec = _spec(started)
    assert (run.status, run.progress_done, spec.status, spec.approved_by) == ("succeeded", 30, "approved", None)
    assert _accepted_per_subtask(started) == PLANNED
    assert spec.trace[-1] == {"step": "review", "action": "approve", "how": "auto-approve", "by": None,
                              "quotas": PLANNED}


# --- Quotas --------------------------------------------------------------------------------------

def test_quotas_must_sum_exactly_to_the_target(team_a, user_a, pool_a):
    started = _planned(team_a, user_a)
    with pytest.raises(ValidationError) as caught:
        services.spec_quotas_set(spec=_spec(started), user=user_a, quotas={CAUSAL: 10})

    assert caught.value.message_dict == {"quotas": [
        "The quotas of the kept subtasks sum to 29 (natural-language-inference 11 + "
        "causal-reasoning 10 + social-reasoning 8); they must sum to the target size 30."]}
    assert _quotas(_spec(started)) == PLANNED


def test_a_quota_over_the_datasets_capacity_is_refused(team_a, user_a, pool_a):
    started = _planned(team_a, user_a)
    with pytest.raises(ValidationError) as caught:
        services.spec_quotas_set(spec=_spec(started), user=user_a, quotas={NLI: 250, SOCIAL: -1, CAUSAL: "x"})

    assert caught.value.message_dict == {"quotas": [
        "natural-language-inference: quota 250 is outside 0..196 (its dataset has 196 usable records).",
        "causal-reasoning: the quota must be a whole number; got 'x'.",
        "social-reasoning: quota -1 is outside 0..200 (its dataset has 200 usable records)."]}


def test_unknown_subtasks_and_dropping_every_subtask_are_refused(team_a, user_a, pool_a):
    started = _planned(team_a, user_a)
    with pytest.raises(ValidationError) as caught:
        services.spec_quotas_set(spec=_spec(started), user=user_a, quotas={"nope": 3}, dropped=[NLI, SOCIAL, CAUSAL])

    assert caught.value.message_dict == {
        "subtasks": [f"Unknown subtask(s) ['nope']; this spec has {[NLI, CAUSAL, SOCIAL]}."],
        "dropped": ["Keep at least one subtask; every subtask was dropped."]}


def test_drop_a_subtask_then_approve_builds_exactly_the_edited_quotas(team_a, user_a, pool_a,
                                                                     django_capture_on_commit_callbacks):
    started = _planned(team_a, user_a)
    spec = services.spec_quotas_set(spec=_spec(started), user=user_a, quotas={NLI: 18, SOCIAL: 12}, dropped=[CAUSAL])

    assert _quotas(spec) == {NLI: 18, SOCIAL: 12, CAUSAL: 0}
    assert dict(spec.subtasks.values_list("key", "dropped")) == {NLI: False, SOCIAL: False, CAUSAL: True}
    assert spec.trace[-1] == {"step": "review", "action": "quotas", "by": "alice",
                              "quotas": {NLI: 18, SOCIAL: 12, CAUSAL: 0}, "dropped": [CAUSAL],
                              "datasets": {NLI: {NLI: 18}, CAUSAL: {CAUSAL: 0}, SOCIAL: {SOCIAL_DATA: 12}},
                              "notes": [], "end_state": "partial"}
    # The dropped skill is no longer served, and the spec says so (it was ok as planned).
    assert spec.end_state == "partial"
    assert [(c["key"], c["status"], c["samples"], c["reason"]) for c in spec.coverage] == [
        (f"capability:{CAUSAL}", "not_served", 0, f"set to 0 in review: subtask {CAUSAL}"),
        (f"capability:{NLI}", "served", 18, ""), (f"capability:{SOCIAL}", "served", 12, "")]
    with django_capture_on_commit_callbacks(execute=True):
        services.spec_approve(spec=spec, user=user_a)

    run = AgentRun.objects.get(pk=started.run.id)
    spec.refresh_from_db()
    # Every sample was made, but the causal reasoning asked was dropped: the run is partial, not succeeded.
    assert (run.status, run.progress_done, spec.status, spec.approved_by) == ("partial", 30, "approved", user_a)
    assert sorted(run.children.values_list("grounding__subtask__key", "progress_done")) == [(NLI, 18), (SOCIAL, 12)]
    assert _accepted_per_subtask(started) == {NLI: 18, SOCIAL: 12}


def test_approve_is_idempotent_and_an_approved_spec_cannot_be_edited(team_a, user_a, pool_a,
                                                                    django_capture_on_commit_callbacks):
    started = _planned(team_a, user_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.spec_approve(spec=_spec(started), user=user_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = services.spec_approve(spec=_spec(started), user=user_a)

    assert (run.status, len(callbacks), run.children.count()) == ("succeeded", 0, 3)
    assert Sample.objects.filter(version=started.version, status="ok").count() == 30
    with pytest.raises(ValidationError) as caught:
        services.spec_quotas_set(spec=_spec(started), user=user_a, quotas={NLI: 10, SOCIAL: 10, CAUSAL: 10})
    assert caught.value.message_dict == {"spec": ["The spec is approved; only a draft spec can be changed."]}
    with pytest.raises(ValidationError) as caught:
        services.spec_replan(spec=_spec(started), user=user_a)
    assert caught.value.message_dict == {"spec": ["The spec is approved; only a draft spec can be changed."]}


def _second_causal_grounding(team, spec: Spec, *, capacity: int) -> Grounding:
    """The team's own causal questions (an upload with the seed set's record shape) as a second, fitter
    grounding of the causal subtask, listed after the planned one."""
    rows = json.loads((SEED_POOL / "datasets/nlp/Causal-Reasoning/annotation.json").read_text())["data"][:capacity]
    path = Path(tempfile.mkdtemp()) / "our causal questions.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert dataset_import_table(team=team, path=path, name="Our causal questions").error == ""
    subtask = spec.subtasks.get(key=CAUSAL)
    planned = subtask.groundings.get()
    Grounding.objects.filter(pk=planned.pk).update(scores={**planned.scores, "composite": 0.6})
    return Grounding.objects.create(subtask=subtask, dataset=Dataset.objects.get(slug="our-causal-questions"),
                                    plan=planned.plan, scores={**planned.scores, "composite": 0.9}, capacity=capacity)


def _dataset_quotas(spec: Spec, key: str) -> dict[str, int]:
    return dict(Grounding.objects.filter(subtask__spec=spec, subtask__key=key).values_list("dataset__slug", "quota"))


def test_a_quota_edit_spreads_over_datasets_by_fitness_and_capacity_not_list_order(team_a, user_a, pool_a):
    started = _planned(team_a, user_a)
    _second_causal_grounding(team_a, _spec(started), capacity=40)

    # 0.6 : 0.9 of 20 (in list order, causal-reasoning would take all 20 and the team's own set 0).
    spec = services.spec_quotas_set(spec=_spec(started), user=user_a, quotas={NLI: 6, CAUSAL: 20, SOCIAL: 4})
    assert _dataset_quotas(spec, CAUSAL) == {CAUSAL: 8, "our-causal-questions": 12}
    assert spec.trace[-1]["notes"] == [] and spec.quota_notes == []

    # 10.4 : 15.6, in whole numbers by the largest remainders.
    spec = services.spec_quotas_set(spec=_spec(started), user=user_a, quotas={NLI: 2, CAUSAL: 26, SOCIAL: 2})
    assert _dataset_quotas(spec, CAUSAL) == {CAUSAL: 10, "our-causal-questions": 16}


def test_a_quota_edit_that_leaves_a_dataset_at_zero_says_so(team_a, user_a, pool_a):
    started = _planned(team_a, user_a)
    _second_causal_grounding(team_a, _spec(started), capacity=3)

    spec = services.spec_quotas_set(spec=_spec(started), user=user_a, quotas={NLI: 21, CAUSAL: 1, SOCIAL: 8})
    assert _dataset_quotas(spec, CAUSAL) == {CAUSAL: 0, "our-causal-questions": 1}
    note = ("causal-reasoning: dataset causal-reasoning gets 0 samples, a quota of 1 is too small to share: the "
            "fitter dataset takes it (our-causal-questions (1)); raise the quota to give it samples.")
    assert spec.quota_notes == spec.trace[-1]["notes"] == [note]
    event = AgentRun.objects.get(pk=started.run.id).events.get(kind="quotas_set")
    assert (event.level, event.data["notes"]) == ("warning", [note])
    assert event.message.endswith(note)

    # Its capacity full, the fitter set gives the rest to the other: nobody is left at 0.
    spec = services.spec_quotas_set(spec=_spec(started), user=user_a, quotas={NLI: 21, CAUSAL: 5, SOCIAL: 4})
    assert (_dataset_quotas(spec, CAUSAL), spec.quota_notes) == ({CAUSAL: 2, "our-causal-questions": 3}, [])


# --- Re-plan -------------------------------------------------------------------------------------

def test_replan_discards_the_draft_and_plans_the_same_run_again(team_a, user_a, pool_a,
                                                               django_capture_on_commit_callbacks):
    started = _planned(team_a, user_a)
    old = services.spec_quotas_set(spec=_spec(started), user=user_a, quotas={NLI: 20, SOCIAL: 10}, dropped=[CAUSAL])
    with django_capture_on_commit_callbacks(execute=True):
        services.spec_replan(spec=old, user=user_a)

    new = _spec(started)
    run = AgentRun.objects.get(pk=started.run.id)
    assert new.pk != old.pk and not Spec.objects.filter(pk=old.pk).exists()
    assert (new.status, _quotas(new), new.subtasks.filter(dropped=True).count()) == ("draft", PLANNED, 0)
    assert (run.status, run.stage, run.children.count()) == ("awaiting_approval", "review", 0)
    assert list(run.events.values_list("kind", flat=True)) == [
        "queued", "planned", "awaiting_approval", "quotas_set", "replan", "planned", "awaiting_approval"]
    assert run.events.get(kind="replan").data == {
        "discarded": {"end_state": "partial", "quotas": {NLI: 20, SOCIAL: 10, CAUSAL: 0}}}


# --- Who may review ------------------------------------------------------------------------------

def test_a_viewer_cannot_edit_replan_or_approve(team_a, user_a, viewer_a, pool_a):
    started = _planned(team_a, user_a)
    spec = _spec(started)
    for call in (lambda: services.spec_quotas_set(spec=spec, user=viewer_a, quotas={}),
                 lambda: services.spec_approve(spec=spec, user=viewer_a),
                 lambda: services.spec_replan(spec=spec, user=viewer_a)):
        with pytest.raises(ValidationError) as caught:
            call()
        assert caught.value.message_dict == {"team": [NOT_WRITER]}
    assert (_spec(started).status, AgentRun.objects.get(pk=started.run.id).status) == ("draft", "awaiting_approval")


def test_an_editor_may_review(team_a, user_a, pool_a):
    editor = UserFactory(username="eddie")
    MembershipFactory(team=team_a, user=editor, role=Membership.Role.EDITOR)
    started = _planned(team_a, user_a)
    spec = services.spec_quotas_set(spec=_spec(started), user=editor, quotas={NLI: 10, SOCIAL: 10, CAUSAL: 10})
    assert _quotas(spec) == {NLI: 10, SOCIAL: 10, CAUSAL: 10}


# --- API -----------------------------------------------------------------------------------------

def test_api_spec_detail_quotas_and_approve(api_a, team_a, user_a, pool_a, django_capture_on_commit_callbacks):
    started = _planned(team_a, user_a)
    spec = _spec(started)

    body = api_a.get(f"/api/specs/{spec.id}/").json()
    # The request asks for causes: the causal set's 103 cause questions serve, not its 97 effect ones.
    assert (body["status"], body["target_size"], body["benchmark"], body["version"]) == (
        "draft", 30, started.version.benchmark_id, 1)
    assert [(s["key"], s["quota"], s["dropped"], [(g["dataset"], g["capacity"], g["quota"]) for g in s["groundings"]])
            for s in body["subtasks"]] == [(NLI, 11, False, [(NLI, 196, 11)]), (CAUSAL, 11, False, [(CAUSAL, 103, 11)]),
                                           (SOCIAL, 8, False, [(SOCIAL_DATA, 200, 8)])]
    assert set(body["subtasks"][0]["groundings"][0]["scores"]) == {
        "search", "relevance", "alignment", "coverage", "simplicity", "risk", "composite"}
    assert [step["step"] for step in body["trace"]] == [
        "scope", "design", "grounding", "grounding", "grounding", "allocation", "coverage", "end"]

    bad = api_a.post(f"/api/specs/{spec.id}/quotas/", {"quotas": {NLI: 1}}, format="json")
    assert (bad.status_code, bad.json()) == (400, {"quotas": [
        "The quotas of the kept subtasks sum to 20 (natural-language-inference 1 + "
        "causal-reasoning 11 + social-reasoning 8); they must sum to the target size 30."]})

    ok = api_a.post(f"/api/specs/{spec.id}/quotas/", {"quotas": {NLI: 20, SOCIAL: 10}, "dropped": [CAUSAL]}, format="json")
    assert ok.status_code == 200, ok.content
    assert [(s["key"], s["quota"], s["dropped"]) for s in ok.json()["subtasks"]] == [
        (NLI, 20, False), (CAUSAL, 0, True), (SOCIAL, 10, False)]

    with django_capture_on_commit_callbacks(execute=True):
        approved = api_a.post(f"/api/specs/{spec.id}/approve/")
    assert (approved.status_code, approved.json()["status"], approved.json()["approved_by"]) == (200, "approved", "alice")
    assert _accepted_per_subtask(started) == {NLI: 20, SOCIAL: 10}
    assert api_a.get(f"/api/runs/{started.run.id}/").json()["status"] == "partial"  # causal reasoning was dropped in review


def test_api_replan(api_a, team_a, user_a, pool_a, django_capture_on_commit_callbacks):
    started = _planned(team_a, user_a)
    old = _spec(started)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post(f"/api/specs/{old.id}/replan/")

    assert (response.status_code, response.json()["id"], response.json()["status"]) == (202, started.run.id, "queued")
    assert (AgentRun.objects.get(pk=started.run.id).status, _quotas(_spec(started))) == ("awaiting_approval", PLANNED)
    assert api_a.get(f"/api/specs/{old.id}/").status_code == 404


def test_api_viewer_gets_400_and_another_team_404(api_a, api_b, team_a, user_a, viewer_a, pool_a):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    started = _planned(team_a, user_a)
    spec = _spec(started)
    viewer = APIClient()
    viewer.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=viewer_a).key}")

    assert viewer.get(f"/api/specs/{spec.id}/").status_code == 200
    for path, payload in ((f"/api/specs/{spec.id}/quotas/", {"quotas": {NLI: 11}}),
                          (f"/api/specs/{spec.id}/approve/", {}), (f"/api/specs/{spec.id}/replan/", {})):
        response = viewer.post(path, payload, format="json")
        assert (response.status_code, response.json()) == (400, {"team": [NOT_WRITER]}), path
        assert api_b.post(path, payload, format="json").status_code == 404, path
    assert api_b.get(f"/api/specs/{spec.id}/").status_code == 404
    assert api_b.get("/api/specs/").json()["count"] == 0
    assert (_spec(started).status, _quotas(_spec(started))) == ("draft", PLANNED)


# --- Page ----------------------------------------------------------------------------------------

def test_spec_page_shows_subtasks_scores_plans_quotas_and_trace(client, team_a, user_a, pool_a):
    started = _planned(team_a, user_a)
    client.force_login(user_a)
    benchmark_id = started.version.benchmark_id

    detail = client.get(reverse("benchmark-detail", args=[benchmark_id])).content.decode()
    assert "The spec awaits approval: nothing is built yet." in detail
    assert f'{reverse("spec-detail", args=[benchmark_id])}?version=1' in detail

    response = client.get(reverse("spec-detail", args=[benchmark_id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="quota" name="quota-') == 3
    assert f'name="quota-{NLI}" value="11" min="0" max="196"' in html
    assert html.count('class="drop" name="drop-') == 3
    assert html.count('class="trace-step"') == 8
    assert "composite" in html and "reads" in html and "writes" in html
    assert "Design decisions" in html and "All 6 candidate datasets considered" not in html
    for label in ("Save quotas", "Approve and build", "Re-plan"):
        assert label in html


def test_spec_page_saves_quotas_shows_errors_and_approves(client, team_a, user_a, pool_a,
                                                          django_capture_on_commit_callbacks):
    started = _planned(team_a, user_a)
    client.force_login(user_a)
    url = reverse("spec-detail", args=[started.version.benchmark_id])

    bad = client.post(url, {"action": "save", f"quota-{NLI}": "12", f"quota-{SOCIAL}": "10", f"quota-{CAUSAL}": "9"})
    assert bad.status_code == 400
    assert ("The quotas of the kept subtasks sum to 31 (natural-language-inference 12 + "
            "causal-reasoning 9 + social-reasoning 10); they must sum to the target size 30."
            ) in bad.content.decode()
    assert f'name="quota-{NLI}" value="12"' in bad.content.decode()

    saved = client.post(url, {"action": "save", f"quota-{NLI}": "20", f"quota-{SOCIAL}": "10",
                              f"quota-{CAUSAL}": "9", f"drop-{CAUSAL}": "1"})
    assert (saved.status_code, saved["Location"]) == (302, url)
    assert _quotas(_spec(started)) == {NLI: 20, SOCIAL: 10, CAUSAL: 0}

    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(url, {"action": "approve", f"quota-{NLI}": "15", f"quota-{SOCIAL}": "15",
                                     f"quota-{CAUSAL}": "0", f"drop-{CAUSAL}": "1"})
    assert approved.status_code == 302
    assert _accepted_per_subtask(started) == {NLI: 15, SOCIAL: 15}
    after = client.get(url).content.decode()
    assert 'class="quota"' not in after and "Approve and build" not in after


def test_spec_page_for_a_viewer_is_read_only_and_another_team_gets_404(client, team_a, user_a, viewer_a, user_b,
                                                                       pool_a):
    started = _planned(team_a, user_a)
    url = reverse("spec-detail", args=[started.version.benchmark_id])
    client.force_login(viewer_a)
    page = client.get(url).content.decode()
    assert 'class="quota"' not in page and "Only the team's owners and editors can review this draft." in page
    refused = client.post(url, {"action": "approve"})
    assert refused.status_code == 400 and NOT_WRITER in refused.content.decode()
    assert _spec(started).status == "draft"

    client.force_login(user_b)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "approve"}).status_code == 404
    client.logout()
    assert client.get(url)["Location"] == f"{reverse('login')}?next={url}"


def test_build_command_review_flag_plans_and_waits(team_a, pool_a, capsys):
    call_command("build", THREE_WAY, "--size", "30", "--team", "team-a", "--review")
    run = AgentRun.objects.get(kind="build")
    assert (run.status, run.children.count()) == ("awaiting_approval", 0)
    assert "planned; the spec waits for review at /benchmarks/" in capsys.readouterr().out


def test_build_command_holds_a_plan_that_leaves_an_ask_unserved_until_accepted(team_a, pool_a, capsys):
    text = "Multiple-choice questions about the causes and effects of everyday events, written in German."
    call_command("build", text, "--size", "6", "--team", "team-a")
    run = AgentRun.objects.get(kind="build")
    out = capsys.readouterr().out.splitlines()
    assert (run.status, run.children.count()) == ("awaiting_approval", 0)
    assert out[-1] == (
        f"{run.version}: planned; the spec waits for review at /benchmarks/{run.version.benchmark_id}/spec/: the spec "
        "waits for review although the request asked to approve it: the plan serves only part of the request (items "
        "in German: not served, causal-reasoning: its texts are in en 100%, not de). Check the coverage, then approve "
        "or re-plan (or build it anyway with --accept-partial)")

    call_command("build", text, "--size", "6", "--team", "team-a", "--accept-partial")
    run = AgentRun.objects.filter(kind="build").latest("id")
    assert run.status == "partial" and run.error.startswith("not served as asked: items in German")
    assert Sample.objects.filter(version=run.version, status="ok").count() == 6
