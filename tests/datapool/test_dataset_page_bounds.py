"""The dataset page never carries a whole long field: a record preview shows the start of a long
string and how much was left out, and the start of a long list."""
from __future__ import annotations

import json

from django.urls import reverse
from django.utils.html import escape

from datapool.importers.tabular import dataset_import_table
from datapool.models import Dataset


def test_record_previews_clip_long_strings_and_lists(client, user_a, team_a, tmp_path):
    rows = [{"id": "long", "question": "Which line is the longest?", "context": "c" * 9_000 + "END",
             "options": [f"option {i}" for i in range(130)], "answer": "A"},
            {"id": "short", "question": "Is this short?", "context": "yes", "options": ["yes", "no"], "answer": "A"}]
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    report = dataset_import_table(team=team_a, path=path, name="Long", mapping={"question": "question"})
    assert (report.error, report.created) == ("", 2)
    client.force_login(user_a)
    response = client.get(reverse("pool-dataset-detail", args=[Dataset.objects.get(slug="long").id]))
    html = response.content.decode()
    assert escape(f'"context": "{"c" * 2_000}… (7,003 more characters)"') in html
    assert "c" * 2_001 not in html and "END" not in html
    assert escape('"option 99",\n    "… (30 more items)"\n  ]') in html and "option 100" not in html
    assert escape('"context": "yes"') in html  # short fields as they are
    assert len(html) < 40_000
