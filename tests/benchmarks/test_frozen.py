"""A frozen version is immutable: the models refuse every ORM write to its samples, their media links
and its own content; the admin shows them read-only; a version (or benchmark) delete still takes its
samples with it. What a write behind the ORM's back changes (raw SQL, a media file swapped) is
caught by the checksum on every export (409 in the API, a message on the page) and by
`manage.py verify_checksums`, which exits non-zero naming the version."""
from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import RestrictedError

from benchmarks import exporting, freezing, services
from benchmarks.errors import ChecksumMismatchError, FrozenVersionError
from benchmarks.models import Benchmark, BenchmarkVersion, MediaAsset, Sample, SampleMedia, Subtask, VersionExport

TAIL = "A frozen version's samples go only with the version itself."


@pytest.fixture
def frozen(built_image_benchmark, user_a):
    return services.version_freeze(version=built_image_benchmark.version, user=user_a)


def _refused(version, what: str) -> dict:
    return {"version": [f"{version} is frozen: {what}. {TAIL}"]}


def _snapshot(version) -> list[tuple]:
    return list(Sample.objects.filter(version=version).order_by("pk").values_list(
        "pk", "status", "question", "context", "options", "answer", "answer_index", "verification"))


def _media_links(version) -> list[tuple[int, int]]:
    return list(SampleMedia.objects.filter(sample__version=version).order_by("sample_id", "mediaasset_id")
                .values_list("sample_id", "mediaasset_id"))


def test_orm_writes_to_a_frozen_versions_samples_raise_and_change_nothing(frozen):
    before, links = _snapshot(frozen), _media_links(frozen)
    assert len(before) == 7 and len(links) == 7  # 6 accepted and 1 rejected, one image each
    sample = Sample.objects.filter(version=frozen, status="ok").order_by("pk").first()
    other_asset = MediaAsset.objects.exclude(pk__in=sample.media.values("pk")).first()
    changes = {"its samples do not change": [
        lambda: Sample.objects.filter(version=frozen).update(question="changed"),
        lambda: frozen.samples.filter(status="ok").update(status="rejected"),
        lambda: Sample.objects.bulk_update([sample], ["question"]),
        lambda: sample.save(),
    ], "its samples are not deleted": [
        lambda: Sample.objects.filter(pk=sample.pk).delete(),
        lambda: sample.delete(),
    ], "no sample is added to it": [
        lambda: Sample.objects.bulk_create([Sample(version=frozen, subtask=sample.subtask, grounding=sample.grounding,
                                                   source_record=sample.source_record, item_key="new", question="q",
                                                   answer="a", answer_type="choice", engine="offline", status="ok")]),
    ], "the media of its samples do not change": [
        lambda: sample.media.clear(),
        lambda: sample.media.add(other_asset),
        lambda: sample.media.set([other_asset]),
        lambda: SampleMedia.objects.filter(sample=sample).delete(),
    ]}
    for what, calls in changes.items():
        for call in calls:
            # A savepoint each: Django runs m2m writes in an atomic block whose error dooms the transaction.
            with pytest.raises(FrozenVersionError) as refused, transaction.atomic():
                call()
            assert refused.value.message_dict == _refused(frozen, what)
    assert (_snapshot(frozen), _media_links(frozen)) == (before, links)

    # Its own content: number, request, checksum, the frozen flag itself.
    version_refused = {"version": [f"{frozen} is frozen: its number, request and checksum do not change."]}
    for change in ({"checksum": "0" * 64}, {"frozen": False}, {"number": 9}):
        with pytest.raises(FrozenVersionError) as refused:
            BenchmarkVersion.objects.filter(pk=frozen.pk).update(**change)
        assert refused.value.message_dict == version_refused
    copy = BenchmarkVersion.objects.get(pk=frozen.pk)
    copy.number = 9
    with pytest.raises(FrozenVersionError):
        copy.save()
    # A parent other than its version does not take the samples along (RESTRICT).
    with pytest.raises(RestrictedError), transaction.atomic():
        Subtask.objects.filter(spec__version=frozen).delete()
    frozen.refresh_from_db()
    assert (frozen.number, frozen.frozen, frozen.checksum) == (1, True, freezing.version_checksum(frozen))
    assert (_snapshot(frozen), _media_links(frozen)) == (before, links)


def test_a_mixed_update_changes_no_row_and_an_unfrozen_version_is_written_as_usual(frozen, built_text_benchmark):
    open_version = built_text_benchmark.version
    with pytest.raises(FrozenVersionError):
        Sample.objects.filter(version__in=[frozen, open_version]).update(context="x")
    assert Sample.objects.filter(context="x").count() == 0
    total = Sample.objects.filter(version=open_version).count()
    assert Sample.objects.filter(version=open_version).update(context="x") == total
    sample = Sample.objects.filter(version=open_version).first()
    sample.question = "edited"
    sample.save(update_fields=["question"])
    assert Sample.objects.get(pk=sample.pk).question == "edited"


def test_deleting_the_version_or_its_benchmark_takes_its_samples_along(frozen, built_text_benchmark):
    image_benchmark = frozen.benchmark_id
    frozen.delete()
    assert (BenchmarkVersion.objects.filter(benchmark_id=image_benchmark).count(),
            Sample.objects.filter(version__benchmark_id=image_benchmark).count()) == (0, 0)
    # A whole benchmark, frozen version and all (its request was PROTECTed by its versions: a 500).
    text = services.version_freeze(version=built_text_benchmark.version, user=None)
    Benchmark.objects.get(pk=text.benchmark_id).delete()
    assert (Benchmark.objects.count(), BenchmarkVersion.objects.count(), Sample.objects.count()) == (1, 0, 0)


# --- The admin -----------------------------------------------------------------------------------

@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    return client


def _sample_form(sample: Sample, **changes) -> dict:
    """The sample's change form as the admin posts it."""
    values = {"version": sample.version_id, "subtask": sample.subtask_id, "grounding": sample.grounding_id,
              "source_record": sample.source_record_id, "item_key": sample.item_key, "question": sample.question,
              "context": sample.context, "options": json.dumps(sample.options), "answer": sample.answer,
              "answer_index": sample.answer_index, "accepted_answers": json.dumps(sample.accepted_answers),
              "answer_type": sample.answer_type, "engine": sample.engine, "provenance": json.dumps(sample.provenance),
              "verification": json.dumps(sample.verification), "status": sample.status,
              "dedup_key": sample.dedup_key, "_save": "Save"}
    return {**values, **changes}


def test_the_admin_shows_a_frozen_sample_read_only_and_refuses_to_change_or_delete_it(frozen, admin_client):
    before = _snapshot(frozen)
    sample = Sample.objects.filter(version=frozen, status="ok").order_by("pk").first()
    url = f"/admin/benchmarks/sample/{sample.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html and 'name="question"' not in html and "deletelink" not in html

    response = admin_client.post(url, _sample_form(sample, question="Which painting is forged?", answer_index=0))
    assert response.status_code == 403
    assert admin_client.post(f"/admin/benchmarks/sample/{sample.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = admin_client.post("/admin/benchmarks/sample/", {"action": "delete_selected", "post": "yes",
                                                           "_selected_action": [s[0] for s in before]})
    assert bulk.status_code == 403
    version_page = admin_client.post(f"/admin/benchmarks/benchmarkversion/{frozen.pk}/change/",
                                     {"benchmark": frozen.benchmark_id, "number": 5, "request": frozen.request_id})
    assert version_page.status_code == 403
    assert _snapshot(frozen) == before
    frozen.refresh_from_db()
    assert frozen.number == 1


def test_the_admin_still_edits_an_unfrozen_sample_and_deletes_a_frozen_version_whole(built_image_benchmark,
                                                                                      admin_client, user_a):
    version = built_image_benchmark.version
    sample = Sample.objects.filter(version=version, status="ok").order_by("pk").first()
    response = admin_client.post(f"/admin/benchmarks/sample/{sample.pk}/change/",
                                 _sample_form(sample, question="Which painting is this?"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Sample.objects.get(pk=sample.pk).question == "Which painting is this?"

    services.version_freeze(version=version, user=user_a)
    confirm = admin_client.get(f"/admin/benchmarks/benchmarkversion/{version.pk}/delete/")
    assert confirm.status_code == 200 and "Samples: 7" in confirm.content.decode()
    done = admin_client.post(f"/admin/benchmarks/benchmarkversion/{version.pk}/delete/", {"post": "yes"})
    assert done.status_code == 302
    assert (BenchmarkVersion.objects.filter(pk=version.pk).exists(), Sample.objects.filter(version=version).count()) \
        == (False, 0)


# --- Tampering behind the ORM's back ---------------------------------------------------------------

def _label(version) -> str:
    return f"team-a/{version.benchmark.slug} v{version.number}"


def _mismatch(version, recorded: str, actual: str) -> str:
    return (f"{version}: its items no longer match the checksum recorded when it was frozen (recorded {recorded[:16]}, "
            f"now {actual[:16]}). It was changed outside the platform and is not exported until an administrator "
            f"finds out what changed (manage.py verify_checksums lists every such version).")


def test_a_raw_sql_edit_is_caught_by_the_export_the_api_the_page_and_the_command(frozen, api_a, client, user_a,
                                                                                 capsys):
    call_command("verify_checksums")
    assert capsys.readouterr().out == (f"ok        {_label(frozen)} (checksum {frozen.checksum[:16]}, scheme v2)\n"
                                       "1 frozen version(s) verified; none changed.\n")
    kept = services.version_export(version=frozen, fmt="jsonl")  # made before the edit: never served after it
    sample = Sample.objects.filter(version=frozen, status="ok").order_by("pk").first()
    with connection.cursor() as cursor:  # the right answer moved: only the answer index changes
        cursor.execute("UPDATE benchmarks_sample SET answer_index = %s WHERE id = %s",
                       [(sample.answer_index + 1) % len(sample.options), sample.pk])
    recorded, actual = frozen.checksum, freezing.version_checksum(frozen)
    assert actual != recorded
    message = _mismatch(frozen, recorded, actual)

    for fmt in ("jsonl", "vlmevalkit"):
        with pytest.raises(ChecksumMismatchError) as refused:
            exporting.version_export(version=frozen, fmt=fmt)
        assert refused.value.message_dict == {"checksum": [message]}
    assert list(VersionExport.objects.filter(version=frozen).values_list("pk", flat=True)) == [kept.pk]

    response = api_a.get(f"/api/benchmarks/{frozen.benchmark_id}/export/?export_format=jsonl&version=1")
    assert (response.status_code, response.json()) == (409, {"checksum": [message]})

    client.force_login(user_a)
    page = client.get(f"/benchmarks/{frozen.benchmark_id}/export/jsonl/?version=1")
    assert (page.status_code, page["Location"]) == (302, f"/benchmarks/{frozen.benchmark_id}/?version=1")
    shown = client.get(page["Location"]).content.decode()
    assert "its items no longer match the checksum recorded when it was frozen" in shown

    with pytest.raises(CommandError) as failed:
        call_command("verify_checksums")
    assert str(failed.value) == f"1 of 1 frozen versions changed since they were frozen: {_label(frozen)}"
    assert capsys.readouterr().err == (f"CHANGED   {_label(frozen)}: {frozen}: its items no longer match the checksum "
                                       f"recorded when it was frozen (recorded {recorded[:16]}, now {actual[:16]})\n")


def test_a_media_file_swapped_behind_the_database_is_caught(frozen):
    sample = Sample.objects.filter(version=frozen, status="ok").order_by("pk").first()
    asset = sample.media.get()
    other = MediaAsset.objects.exclude(pk=asset.pk).filter(kind="image").first()
    with connection.cursor() as cursor:  # the asset now points at another picture; its sha256 says otherwise
        cursor.execute("UPDATE benchmarks_mediaasset SET file = %s WHERE id = %s", [other.file, asset.pk])
    with pytest.raises(ChecksumMismatchError) as refused:
        exporting.version_export(version=frozen, fmt="hf")
    assert refused.value.problems == [f"media file {other.file} was changed (its sha256 is no longer "
                                      f"{asset.sha256[:16]})"]
    with pytest.raises(CommandError, match=f"1 of 1 frozen versions changed since they were frozen: {_label(frozen)}"):
        call_command("verify_checksums")
    call_command("verify_checksums", "--skip-media")  # the items themselves are intact


def test_a_version_frozen_under_the_first_scheme_is_verified_with_it(frozen):
    v1 = freezing.version_checksum(frozen, scheme=1)
    with connection.cursor() as cursor:  # as migration 0014 left a version frozen before it
        cursor.execute("UPDATE benchmarks_benchmarkversion SET checksum_scheme = 1, checksum = %s WHERE id = %s",
                       [v1, frozen.pk])
    frozen.refresh_from_db()
    assert freezing.check_version_intact(version=frozen).actual == v1
    sample = Sample.objects.filter(version=frozen, status="ok").order_by("pk").first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE benchmarks_sample SET question = %s WHERE id = %s", ["Edited?", sample.pk])
    with pytest.raises(ChecksumMismatchError):
        freezing.check_version_intact(version=frozen)


def test_replacing_is_refused_while_judging_and_refreshing_leave_a_frozen_version_intact(frozen, user_a):
    from agents.judge import ALL_DIMENSIONS
    from evaluation import services as evaluation_services
    from evaluation.models import JudgeScore

    sample = Sample.objects.filter(version=frozen, status="ok").order_by("pk").first()
    with pytest.raises(FrozenVersionError) as refused:
        services.samples_replace(version=BenchmarkVersion.objects.get(pk=frozen.pk), reasons={sample.pk: "test"})
    assert refused.value.message_dict == {"version": [f"{frozen} is frozen: its samples are not replaced."]}
    # Judging writes scores next to the samples, never the samples.
    run = evaluation_services.judge_start(version=frozen, user=user_a, engine="rules")
    evaluation_services.judge_run(run_id=run.pk)
    assert JudgeScore.objects.filter(sample__version=frozen).count() == 6 * len(ALL_DIMENSIONS)
    # A refresh builds a new version next to it; the frozen one is untouched.
    started = services.version_refresh(benchmark=frozen.benchmark, user=user_a, run_in_background=False)
    services.build_run_foreground(run_id=started.run.id)
    assert started.version.number == 2 and Sample.objects.filter(version=started.version, status="ok").exists()
    assert freezing.check_version_intact(version=frozen).intact
