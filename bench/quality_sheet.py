#!/usr/bin/env python
"""Benchmark (not a test): a grading sheet of built samples, for a person to grade as a domain expert.

Sets up the planning quality suite's pool (bench/plan_quality.py: the seed pool, the starter pool
and two uploads), builds every request of bench/data/plan_requests.json with the offline engine
through the platform's own path (services.build_start + build_run_foreground), and writes an HTML
sheet with 10 random accepted samples per request (seeded), media inline: images shown, audio
playable. Each sample has an accept/reject choice, a reason and an intent-alignment score (1-5);
the sheet's "Download grades" button saves them as JSON. A JSON file with the same samples is
written beside the sheet, for graders who read rather than click.

    .venv/bin/python bench/quality_sheet.py [--only ID ...] [--per-request 10] [--target 16] [--out DIR]
    .venv/bin/python bench/quality_sheet.py --tally DIR/grades.json   # acceptance and intent per request

A grades file is {"<sample id>": {"request": ID, "accept": true|false, "reason": "...", "intent": 1-5}}.
"""
from __future__ import annotations

import argparse
import base64
import html
import json
import mimetypes
import os
import random
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from _django import ROOT, database_label, django_on_fresh_database

TARGETS = {"acceptance": 0.95, "intent": 4.0}
INLINE_MAX_BYTES = 3_000_000  # a medium file larger than this is linked, not inlined


def build_request(team, request: dict[str, Any], *, target: int) -> dict[str, Any]:
    """Plan and build one request in this process; what it made, as plain data."""
    from django.core.exceptions import ValidationError

    from benchmarks import services
    from benchmarks.models import AgentRun, Sample, Spec

    t0 = time.perf_counter()
    try:
        started = services.build_start(team=team, text=request["text"], target_size=target, engine="offline",
                                       run_in_background=False, source_ref=request["id"], auto_approve=True)
    except ValidationError as exc:
        return {"end_state": "refused", "reason": "; ".join(exc.messages), "samples": [], "seconds": 0.0}
    run = services.build_run_foreground(run_id=started.run.id)
    spec = Spec.objects.filter(version=started.version).first()
    if run.status == AgentRun.Status.AWAITING_APPROVAL and spec is not None:
        # The spec asks for review (an unclear ask): the sheet grades what it would build as planned.
        services._spec_mark_approved(spec, how="quality sheet")
        AgentRun.objects.filter(pk=run.pk).update(status=AgentRun.Status.QUEUED)
        run = services.build_run_foreground(run_id=started.run.id)
    kept = (Sample.Status.OK, Sample.Status.REPAIRED)
    samples = (Sample.objects.filter(version=started.version, status__in=kept)
               .select_related("subtask", "grounding__dataset", "source_record").order_by("id"))
    rejected_rows = Sample.objects.filter(version=started.version).exclude(status__in=kept)
    rejected = rejected_rows.count()
    why = Counter(f"{c['name']}: {str(c.get('detail', ''))[:80]}" for v in rejected_rows.values_list("verification", flat=True)
                  for c in (v or {}).get("checks", []) if not c.get("ok"))
    return {"end_state": spec.end_state if spec else "failed", "run_status": run.status,
            "reason": run.error if run.status == AgentRun.Status.FAILED else "",
            "coverage": spec.coverage if spec else [], "samples": [_sample(s) for s in samples],
            "rejected": rejected, "rejected_why": dict(why.most_common(5)), "seconds": time.perf_counter() - t0}


def _sample(sample) -> dict[str, Any]:
    from django.conf import settings

    verification = sample.verification if isinstance(sample.verification, dict) else {}
    return {"id": sample.id, "item_key": sample.item_key, "subtask": sample.subtask.key,
            "dataset": sample.grounding.dataset.slug, "question": sample.question, "context": sample.context,
            "options": list(sample.options or []), "answer": sample.answer, "answer_index": sample.answer_index,
            "accepted_answers": list(sample.accepted_answers or []),
            "media": [{"kind": m.kind, "path": str(Path(settings.MEDIA_ROOT) / m.file), "mime": m.mime}
                      for m in sample.media.all()],
            "checks": verification.get("checks", []),
            "conditions": (sample.provenance or {}).get("conditions", []),
            "source": sample.source_record.payload if sample.source_record_id else {}}


# --- the sheet -------------------------------------------------------------------------------------

def _media_html(media: dict[str, Any]) -> str:
    path = Path(media["path"])
    if not path.is_file():
        return f"<p class=missing>missing file {html.escape(str(path))}</p>"
    mime = media["mime"] or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.stat().st_size > INLINE_MAX_BYTES:
        src = path.as_uri()
    else:
        src = f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
    if media["kind"] == "image":
        return f'<img src="{src}" alt="sample image">'
    if media["kind"] == "audio":
        return f'<audio controls src="{src}"></audio>'
    return f'<a href="{src}">{html.escape(path.name)}</a>'


def _sample_html(request_id: str, sample: dict[str, Any]) -> str:
    sid = sample["id"]
    options = "".join(f"<li{' class=key' if i == sample['answer_index'] else ''}>{html.escape(str(o))}</li>"
                      for i, o in enumerate(sample["options"]))
    checks = "; ".join(f"{c['name']} {'ok' if c.get('ok') else 'FAILED'}"
                       + (f" ({html.escape(str(c.get('detail')))})" if c.get("detail") else "")
                       for c in sample["checks"])
    conditions = ", ".join(html.escape(json.dumps(c)) for c in sample["conditions"])
    context = (f"<pre class=context>{html.escape(sample['context'])}</pre>" if sample["context"] else "")
    media = "".join(_media_html(m) for m in sample["media"])
    return f"""
<section class=sample data-id="{sid}" data-request="{html.escape(request_id)}">
  <h3>Sample {sid} <small>{html.escape(sample['subtask'])} · {html.escape(sample['dataset'])}</small></h3>
  {media}{context}
  <p class=question>{html.escape(sample['question'])}</p>
  <ol type=A>{options}</ol>
  <p class=small>Key: {html.escape(sample['answer'])}{' · conditions: ' + conditions if conditions else ''}</p>
  <details><summary>Checks and source record</summary><p class=small>{checks}</p>
    <pre class=small>{html.escape(json.dumps(sample['source'], ensure_ascii=False, indent=1)[:3000])}</pre></details>
  <fieldset>
    <label><input type=radio name=v{sid} value=accept> accept</label>
    <label><input type=radio name=v{sid} value=reject> reject</label>
    <label>intent <select name=i{sid}><option></option>{''.join(f'<option>{n}</option>' for n in range(1, 6))}</select></label>
    <input name=r{sid} placeholder="reason" size=60>
  </fieldset>
</section>"""


_SCRIPT = """
function grades() {
  const out = {};
  for (const s of document.querySelectorAll('section.sample')) {
    const id = s.dataset.id, v = s.querySelector(`input[name=v${id}]:checked`);
    if (!v) continue;
    out[id] = {request: s.dataset.request, accept: v.value === 'accept',
               intent: Number(s.querySelector(`select[name=i${id}]`).value) || null,
               reason: s.querySelector(`input[name=r${id}]`).value};
  }
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([JSON.stringify(out, null, 1)], {type: 'application/json'}));
  a.download = 'grades.json'; a.click();
}
"""

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 980px; margin: 24px auto; padding: 0 12px; }
section.sample { border: 1px solid #ccc; border-radius: 6px; padding: 10px 14px; margin: 14px 0; }
img { max-width: 420px; max-height: 360px; image-rendering: pixelated; display: block; margin: 6px 0; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: 6px; }
li.key { font-weight: bold; } .small { font-size: 12px; color: #555; } .request { margin-top: 40px; }
"""


def write_sheet(out: Path, built: list[tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]]) -> Path:
    parts = [f"<!doctype html><meta charset=utf-8><title>Grading sheet</title><style>{_STYLE}</style>",
             f"<script>{_SCRIPT}</script><h1>Grading sheet</h1>",
             "<p>Grade each sample as a strict domain expert: would you accept it into a benchmark that tests "
             "what the request asks? Intent alignment: 5 = tests exactly what was asked, 1 = tests something else.</p>",
             "<button onclick=grades()>Download grades</button>"]
    for request, result, chosen in built:
        parts.append(f"<div class=request><h2>{html.escape(request['id'])}</h2>"
                     f"<blockquote>{html.escape(request['text'])}</blockquote>"
                     f"<p class=small>end state {html.escape(result['end_state'])}; "
                     f"{len(result['samples'])} accepted, {result['rejected']} rejected; "
                     f"{len(chosen)} shown</p></div>")
        parts += [_sample_html(request["id"], s) for s in chosen]
    sheet = out / "sheet.html"
    sheet.write_text("\n".join(parts), encoding="utf-8")
    return sheet


# --- tally -----------------------------------------------------------------------------------------

def tally(grades_path: Path) -> None:
    grades: dict[str, dict[str, Any]] = json.loads(grades_path.read_text(encoding="utf-8"))
    by_request: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for sid, grade in grades.items():
        by_request[grade["request"]].append((sid, grade))
    print(f"{'request':34s} graded accepted intent  rejected")
    total = accepted = 0
    intents: list[float] = []
    for request_id, rows in sorted(by_request.items()):
        ok = sum(bool(g["accept"]) for _, g in rows)
        scores = [float(g["intent"]) for _, g in rows if g.get("intent")]
        rejected = ", ".join(sid for sid, g in rows if not g["accept"])
        mean = sum(scores) / len(scores) if scores else float("nan")
        print(f"{request_id:34s} {len(rows):6d} {ok:8d} {mean:6.2f}  {rejected or '-'}")
        total, accepted = total + len(rows), accepted + ok
        intents += scores
    share = accepted / total if total else 0.0
    mean = sum(intents) / len(intents) if intents else 0.0
    print(f"\noverall: {accepted}/{total} accepted = {100 * share:.1f}% (target >= {100 * TARGETS['acceptance']:.0f}%: "
          f"{'met' if share >= TARGETS['acceptance'] else 'NOT MET'}); mean intent {mean:.2f} "
          f"(target >= {TARGETS['intent']}: {'met' if mean >= TARGETS['intent'] else 'NOT MET'})")
    for sid, grade in sorted(grades.items(), key=lambda kv: (kv[1]["request"], kv[0])):
        if not grade["accept"]:
            print(f"  rejected {sid} ({grade['request']}): {grade.get('reason', '')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="Build only this request id (repeatable).")
    parser.add_argument("--per-request", type=int, default=10, help="Samples shown per request.")
    parser.add_argument("--target", type=int, default=0,
                        help="Build this many samples per request instead of the request's own target size.")
    parser.add_argument("--seed", type=int, default=16, help="Seed of the random pick of samples.")
    parser.add_argument("--out", default=str(ROOT / "var" / "quality-sheet"), help="Where the sheet is written.")
    parser.add_argument("--tally", default="", help="Print acceptance and intent from a grades JSON file, and stop.")
    args = parser.parse_args()
    if args.tally:
        tally(Path(args.tally))
        return
    os.environ.setdefault("BENCH_TASKS_INLINE", "1")
    from plan_quality import load_suite, pool_setup

    suite = load_suite(args.only)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    workdir = django_on_fresh_database("bench-quality-sheet-")
    team, skipped, uploads = pool_setup(workdir)
    print(f"database: {database_label(workdir)}; uploads: {', '.join(uploads) or 'none'}; "
          f"pool ready in {time.perf_counter() - started:.0f} s")
    for message in skipped:
        print(f"  skipped: {message}")
    rng = random.Random(args.seed)
    built = []
    for request in suite:
        result = build_request(team, request, target=args.target or int(request["target_size"]))
        chosen = sorted(rng.sample(result["samples"], min(args.per_request, len(result["samples"]))),
                        key=lambda s: s["id"])
        built.append((request, result, chosen))
        print(f"{request['id']:34s} {result['end_state']:16s} {len(result['samples']):3d} accepted, "
              f"{result['rejected']:3d} rejected, {result['seconds']:.0f} s")
        for reason, n in result.get("rejected_why", {}).items():
            print(f"    rejected {n}: {reason}")
    sheet = write_sheet(out, built)
    (out / "samples.json").write_text(json.dumps(
        [{"request": q["id"], "text": q["text"], "end_state": r["end_state"], "coverage": r["coverage"],
          "samples": chosen} for q, r, chosen in built], ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    print(f"sheet: {sheet} ({sum(len(c) for _, _, c in built)} samples); samples: {out / 'samples.json'}; "
          f"{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
