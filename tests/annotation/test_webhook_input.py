"""The Label Studio webhook's door: the project's secret is checked from the headers before the body
is read; the body is then bounded in size and depth; ids it names are bounded too. No Label Studio
is needed: a refused call never reaches it, and the accepted ones here name no task of ours."""
from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from annotation import services
from annotation.models import ReviewProject
from benchmarks import services as benchmark_services

DEEP = "[" * 100_000


@pytest.fixture
def project(team_a, user_a):
    started = benchmark_services.build_start(team=team_a, user=user_a, text="Anything to review?", target_size=5,
                                             run_in_background=False)
    return ReviewProject.objects.create(team=team_a, version=started.version, ls_url="http://127.0.0.1:9",
                                        ls_project_id=1)


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def _post(client, uid, body, secret=None):
    headers = {services.WEBHOOK_HEADER: secret} if secret is not None else {}
    return client.post(reverse("review-webhook", args=[uid]), body, content_type="application/json", headers=headers)


@pytest.mark.parametrize("body", [DEEP, "x" * (2 * 1024 * 1024), json.dumps({"action": "ANNOTATION_CREATED"})],
                         ids=["100000-brackets", "2-MiB", "well-formed"])
def test_a_call_without_the_secret_is_refused_before_its_body_is_read(client, project, body):
    unknown_project = _post(client, uuid.uuid4(), body)
    no_secret = _post(client, project.uid, body)
    wrong_secret = _post(client, project.uid, body, secret=project.webhook_secret[:-1] + "x")

    for response in (unknown_project, no_secret, wrong_secret):
        assert (response.status_code, response.json()) == (403, {"detail": "forbidden"})


def test_with_the_secret_a_deeply_nested_body_is_a_400(client, project):
    response = _post(client, project.uid, DEEP, secret=project.webhook_secret)

    assert (response.status_code, response.json()) == (400, {"detail": "The JSON nests deeper than 64 levels."})


def test_with_the_secret_a_body_past_one_mebibyte_is_a_413(client, project):
    response = _post(client, project.uid, json.dumps({"action": "ANNOTATION_CREATED", "pad": "x" * 1024 * 1024}),
                     secret=project.webhook_secret)

    assert (response.status_code, response.json()) == (413, {"detail": "The JSON body is larger than 1048576 bytes."})


@pytest.mark.parametrize("body, detail", [
    ('{"action": NaN}', "The body is not valid JSON: NaN is not a JSON value."),
    ("{", "The body is not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)."),
    ('{"action": "PROJECT_DELETED"}', ["Not an annotation webhook."]),
])
def test_with_the_secret_a_body_that_is_not_an_annotation_webhook_is_a_400(client, project, body, detail):
    response = _post(client, project.uid, body, secret=project.webhook_secret)

    assert (response.status_code, response.json()) == (400, {"detail": detail})


@pytest.mark.parametrize("payload", [
    {"action": "ANNOTATION_CREATED", "task": {"id": 2 ** 70}, "annotation": {"task": -1}},
    {"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 2 ** 70}, {"id": True}, "x"]},
    {"action": "ANNOTATIONS_DELETED", "annotations": 5},
], ids=["task-id-past-64-bits", "annotation-ids-past-64-bits", "annotations-not-a-list"])
def test_ids_that_name_nothing_of_ours_queue_nothing(client, project, payload):
    response = _post(client, project.uid, json.dumps(payload), secret=project.webhook_secret)

    assert (response.status_code, response.json()) == (202, {"queued": 0})
