from benchmarks.models import AgentRun, Sample


def test_fixture_builds_are_complete(built_text_benchmark, built_image_benchmark):
    text_run = AgentRun.objects.get(pk=built_text_benchmark.run.pk)
    image_run = AgentRun.objects.get(pk=built_image_benchmark.run.pk)
    assert (text_run.status, image_run.status) == ("succeeded", "succeeded")
    assert Sample.objects.filter(version=built_text_benchmark.version, status="ok").count() == 12
    image_samples = Sample.objects.filter(version=built_image_benchmark.version, status="ok")
    assert image_samples.count() == 6
    assert all(s.media.count() == 1 for s in image_samples)
