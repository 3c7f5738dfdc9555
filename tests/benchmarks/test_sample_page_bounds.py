"""A sample's page never carries a whole long field: its own text (question, context, options,
answer) is shown up to 50,000 characters (a long document fits), its source record's strings up to
2,000, each with how much was left out."""
from __future__ import annotations

from django.urls import reverse
from django.utils.html import escape

from benchmarks.models import Sample
from datapool.models import DatasetRecord


def test_long_sample_fields_and_source_records_are_clipped(client, user_a, built_text_benchmark):
    sample = Sample.objects.filter(version=built_text_benchmark.version, status="ok").order_by("id").first()
    Sample.objects.filter(pk=sample.pk).update(context="d" * 60_000, question="What happened? " + "q" * 49_985)
    DatasetRecord.objects.filter(pk=sample.source_record_id).update(
        payload={"id": "r", "input": {"question": "p" * 10_000}})
    client.force_login(user_a)
    html = client.get(reverse("sample-detail", args=[sample.id])).content.decode()
    assert f'<pre class="block context">{"d" * 50_000}… (10,000 more characters)</pre>' in html
    assert "What happened? " + "q" * 49_985 + "</p>" in html  # exactly at the bound: shown whole
    assert escape(f'"question": "{"p" * 2_000}… (8,000 more characters)"') in html
    assert "d" * 50_001 not in html and "p" * 2_001 not in html
