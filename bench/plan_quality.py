#!/usr/bin/env python
"""Benchmark (not a test): how faithfully the offline engine plans real requests over real data.

Sets up a throwaway database (bench/_django.py), imports the seed pool, the starter pool and two
uploads made the way a user makes them (an image folder of handwritten digits, one class
sub-folder per digit, zipped; a flat JSONL of word analogies whose columns are named question,
answer and category), then plans every request of bench/data/plan_requests.json with the
offline engine through the platform's own path (services.build_start + build_plan; nothing is
built) and compares each spec with its labels. Per request: the end state, the asks served
against those expected, the datasets chosen against those expected, and whether the plan's media
are the ones asked. Then the totals against the issue's targets: the expected dataset chosen for
at least 90% of the asks it should serve, no wrong-modality plan, no `ok` on a request that the
pool cannot fully serve. It prints what it measures; it does not fail when a target is missed.

    .venv/bin/python bench/plan_quality.py [--only ID ...] [--json results.json]
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import time
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from _django import ROOT, database_label, django_on_fresh_database

REQUESTS = ROOT / "bench" / "data" / "plan_requests.json"
UPLOADED = ("digits", "analogies")  # starter sources the suite imports as a user's uploads instead
TEAM = "quality"
TARGETS = {"dataset_share": 0.90, "wrong_modality": 0, "ok_not_servable": 0}


# --- the pool --------------------------------------------------------------------------------------

def _upload(team, *, filename: str, data: bytes) -> str:
    """Import a file through the upload path a user's browser takes; the dataset's slug."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from datapool.models import Dataset, ImportJob
    from datapool.services import import_job_create

    job = import_job_create(team=team, user=None, upload=SimpleUploadedFile(filename, data))  # runs inline
    job = ImportJob.objects.get(pk=job.pk)
    if job.status != ImportJob.Status.SUCCEEDED:
        raise SystemExit(f"the upload {filename} failed: {job.error}")
    return Dataset.objects.get(pk=job.dataset_id).slug


def _digits_zip(source: Path) -> bytes:
    """The starter pool's digit scans as a user's image folder: handwritten-digits/<digit>/<file>.png."""
    from datapool.starter import digits

    folder = source / digits.FOLDER.removeprefix("data/")
    records = json.loads((source / digits.SOURCE_JSON.removeprefix("data/")).read_text(encoding="utf-8"))["data"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for record in records:
            image = record["input"]["image_file"]
            archive.write(folder / image, f"handwritten-digits/{record['output']['digit']}/{Path(image).name}")
    return buffer.getvalue()


def _analogies_jsonl(source: Path) -> bytes:
    """The starter pool's analogies as a user's flat JSONL with columns question, answer, category."""
    from datapool.starter import analogies

    records = json.loads((source / analogies.SOURCE_JSON.removeprefix("data/")).read_text(encoding="utf-8"))["data"]
    return "".join(json.dumps({"question": r["input"]["question"], "answer": r["output"]["answer"],
                               "category": r["input"]["category"]}) + "\n" for r in records).encode("utf-8")


def load_suite(only: list[str]) -> list[dict[str, Any]]:
    """The suite's requests, or those of `only` (ids); an unknown id stops the benchmark."""
    suite = json.loads(REQUESTS.read_text(encoding="utf-8"))["requests"]
    if only:
        unknown = sorted(set(only) - {q["id"] for q in suite})
        if unknown:
            raise SystemExit(f"unknown request ids: {', '.join(unknown)}")
        suite = [q for q in suite if q["id"] in only]
    return suite


def pool_setup(workdir: Path):
    from django.conf import settings

    from datapool.services import pool_import
    from datapool.starter import BUILDERS, build_starter_pool
    from teams.services import team_get_or_create

    team = team_get_or_create(slug=TEAM)
    skipped: list[str] = []
    pool_import(team=team, pool_dir=Path(settings.SEED_POOL_DIR))
    starter = workdir / "starter-pool"
    build_starter_pool(starter, only=[k for k in BUILDERS if k not in UPLOADED], skipped=skipped)
    pool_import(team=team, pool_dir=starter)
    source = workdir / "upload-source"
    build_starter_pool(source, only=list(UPLOADED), skipped=skipped)
    uploads = []
    if (source / "datasets/image/UCI-Handwritten-Digits").is_dir():
        uploads.append(_upload(team, filename="handwritten-digits.zip", data=_digits_zip(source)))
    if (source / "datasets/nlp/Google-Word-Analogies").is_dir():
        uploads.append(_upload(team, filename="word-analogies.jsonl", data=_analogies_jsonl(source)))
    shutil.rmtree(source, ignore_errors=True)
    return team, skipped, uploads


# --- one request -----------------------------------------------------------------------------------

def plan_request(team, request: dict[str, Any]) -> dict[str, Any]:
    """Plan through the platform (no build); the spec as plain data, or the refusal."""
    from django.core.exceptions import ValidationError

    from benchmarks import services
    from benchmarks.models import Grounding, Spec

    t0 = time.perf_counter()
    try:
        started = services.build_start(team=team, text=request["text"], target_size=int(request["target_size"]),
                                       engine="offline", run_in_background=False, source_ref=request["id"])
    except ValidationError as exc:
        return {"end_state": "refused", "reason": "; ".join(exc.messages), "scope": {}, "coverage": [],
                "subtasks": [], "seconds": time.perf_counter() - t0}
    services.build_plan(run_id=started.run.id, queue_cells=False)
    spec = Spec.objects.filter(version=started.version).first()
    seconds = time.perf_counter() - t0
    if spec is None:
        run = type(started.run).objects.get(pk=started.run.pk)
        return {"end_state": "failed", "reason": run.error, "scope": {}, "coverage": [], "subtasks": [],
                "seconds": seconds}
    groundings = Grounding.objects.filter(subtask__spec=spec).select_related("dataset", "subtask")
    subtasks = [{"key": s.key, "modalities": s.modalities, "quota": s.quota,
                 "datasets": {g.dataset.slug: g.quota for g in groundings if g.subtask_id == s.id}}
                for s in spec.subtasks.order_by("position")]
    candidates = [{"subtask": step.get("subtask", ""), **{k: c.get(k) for k in ("dataset", "synthesis", "relevance",
                                                                                "relevance_to", "relevance_by", "rejected",
                                                                                "kept")}}
                  for step in spec.trace if step.get("step") == "grounding" for c in step.get("candidates", [])]
    return {"end_state": spec.end_state, "reason": _reason(spec), "scope": spec.scope, "coverage": spec.coverage,
            "subtasks": subtasks, "candidates": candidates, "seconds": seconds}


def _reason(spec) -> str:
    end = next((step for step in reversed(spec.trace) if step.get("step") == "end"), {})
    return str(end.get("reason", ""))


# A language ask may name the language by its code or its English name.
_LANGUAGES = {"de": "german", "es": "spanish", "en": "english", "fr": "french", "it": "italian", "zh": "chinese"}


def _params_match(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    """Every expected param is there with the same value (lists compared as sets, text case-blind)."""
    for name, want in expected.items():
        have = actual.get(name)
        if name == "language":
            want, have = (_LANGUAGES.get(str(v).lower(), str(v).lower()) for v in (want, have))
        if isinstance(want, list):
            if not isinstance(have, list) or {str(v).lower() for v in want} != {str(v).lower() for v in have}:
                return False
        elif str(want).lower() != str(have).lower():
            return False
    return True


def judge(request: dict[str, Any], planned: dict[str, Any]) -> dict[str, Any]:
    """Each expected ask's verdict, the modality check and the end state check."""
    asks = planned["scope"].get("asks", []) if planned["scope"] else []
    coverage = {c["key"]: c for c in planned["coverage"]}
    capability = [coverage[a["key"]] for a in asks if a["kind"] == "capability" and a["key"] in coverage]
    end = planned["end_state"]
    verdicts = []
    matched_keys: set[str] = set()
    for want in request["asks"]:
        expected = set(want["datasets"])
        if want["kind"] == "capability":
            hits = [c for c in capability if expected & set(c.get("datasets", []))]
            found = hits[0] if hits else None
        else:
            found = next((coverage.get(a["key"]) for a in asks if a["kind"] == want["kind"]
                          and _params_match(want.get("params", {}), a.get("params", {}))), None)
        # Stated, but not as asked: same kind (and perturbation kind) with other params ("JPEG at severity 3"
        # for "JPEG at several severities").
        # Only an unambiguous one counts: the one ask of that kind (of that perturbation kind) the plan states.
        candidates = [] if found or want["kind"] == "capability" else [
            a for a in asks if a["kind"] == want["kind"] and a["key"] in coverage
            and (want["kind"] != "perturbation" or a.get("params", {}).get("kind") == want["params"].get("kind"))]
        near = candidates[0] if len(candidates) == 1 else None
        if found:
            matched_keys.add(found["key"])
        if near:
            matched_keys.add(near["key"])
        if expected:
            if found is None and want["kind"] == "capability" and capability:
                # The skill was stated as some capability ask, but none is served by an expected dataset.
                verdict = "wrong dataset" if any(c["status"] == "served" for c in capability) else "not served"
            elif near is not None:
                verdict = f"stated as {near['key']} {near.get('params', {})}, not as asked"
            elif found is None:
                verdict = "dropped"
            elif found["status"] != "served":
                verdict = f"{found['status'].replace('_', ' ')}"
            elif not expected & set(found.get("datasets", [])):
                verdict = "served by other datasets"
            else:
                verdict = "ok"
            chosen = sorted(set(found.get("datasets", [])) if found else
                            {d for c in capability for d in c.get("datasets", [])} if want["kind"] == "capability"
                            else set(coverage[near["key"]].get("datasets", [])) if near else set())
            dataset_ok = bool(found) and found["status"] == "served" and bool(expected & set(found.get("datasets", [])))
        else:
            chosen, dataset_ok = [], None
            if want["kind"] == "capability":
                admitted = end in ("unclear-request", "ungroundable", "refused", "failed") or any(
                    c["status"] != "served" for c in capability)
                verdict = "admitted" if admitted else "CLAIMED SERVED"
                chosen = sorted({d for c in capability for d in c.get("datasets", [])})
            elif found is None and near is not None:
                verdict = "CLAIMED SERVED" if coverage[near["key"]]["status"] == "served" else "admitted"
                chosen = sorted(coverage[near["key"]].get("datasets", []))
            elif found is None:
                verdict = "admitted" if end in ("unclear-request", "refused") else "dropped"
            else:
                verdict = "CLAIMED SERVED" if found["status"] == "served" else "admitted"
                chosen = sorted(found.get("datasets", []))
        verdicts.append({"ask": want, "verdict": verdict, "chosen": chosen, "dataset_ok": dataset_ok,
                         "key": found["key"] if found else ""})
    media = _media(planned)
    want_media = request.get("input_modalities")
    modality_ok = None if want_media is None else sorted(media) == sorted(want_media)
    want_end = request.get("expect_end_state") or ("ok" if request["fully_servable"] else "not ok")
    end_ok = end == want_end if want_end != "not ok" else end != "ok"
    extra = [c for c in planned["coverage"] if c["key"] not in matched_keys]
    expected_all = {d for a in request["asks"] for d in a["datasets"]}
    quotas = [(d, q) for s in planned["subtasks"] for d, q in s["datasets"].items() if q]
    planned_samples = sum(q for _, q in quotas)
    on_expected = sum(q for d, q in quotas if d in expected_all)
    return {"verdicts": verdicts, "media": sorted(media), "modality_ok": modality_ok, "end_ok": end_ok,
            "want_end": want_end, "extra": extra, "samples": planned_samples, "samples_on_expected": on_expected}


def _media(planned: dict[str, Any]) -> set[str]:
    """The media the plan's items carry (its subtasks with samples), or, with nothing planned, the
    media the analysis read."""
    planned_media = {m for s in planned["subtasks"] if s["quota"] for m in s["modalities"] if m != "text"}
    if any(s["quota"] for s in planned["subtasks"]):
        return planned_media
    return {m for m in (planned["scope"] or {}).get("modalities", []) if m != "text"}


# --- printing --------------------------------------------------------------------------------------

def _ask_label(want: dict[str, Any]) -> str:
    if want["kind"] == "capability":
        return f'capability "{want["skill"]}"'
    params = ", ".join(f"{k}={v}" for k, v in want.get("params", {}).items())
    return f"{want['kind']}({params})"


def print_request(request: dict[str, Any], planned: dict[str, Any], result: dict[str, Any]) -> None:
    servable = "servable" if request["fully_servable"] else "NOT fully servable"
    end_mark = "right" if result["end_ok"] else "WRONG"
    modality = ("not checked" if result["modality_ok"] is None else
                f"{'+'.join(result['media']) or 'text'} (want {'+'.join(request['input_modalities']) or 'text'}) "
                f"{'right' if result['modality_ok'] else 'WRONG'}")
    print(f"\n== {request['id']} [{request['modality']}, {servable}] {planned['seconds']:.1f} s")
    print(f"   end state: {planned['end_state']} (want {result['want_end']}) {end_mark}; media: {modality}")
    chosen = "; ".join(f"{s['key']}: " + ", ".join(f"{d} {q}" for d, q in s["datasets"].items())
                       for s in planned["subtasks"] if s["quota"]) or "nothing planned"
    expected = sorted({d for a in request["asks"] for d in a["datasets"]})
    print(f"   datasets chosen: {chosen}")
    share = (f"; {result['samples_on_expected']} of {result['samples']} planned samples on them" if expected and
             result["samples"] else "")
    print(f"   datasets expected: {', '.join(expected) or 'none (the pool cannot serve it)'}{share}")
    for v in result["verdicts"]:
        want = v["ask"]
        wanted = ", ".join(want["datasets"]) or f"none: {want.get('why', '')}"
        got = ", ".join(v["chosen"]) or "-"
        stated = f" as {v['key']}" if v["key"] else ""
        print(f"   - {_ask_label(want)}: {v['verdict']}{stated}; served by {got}; expected {wanted}")
    for c in result["extra"]:
        print(f"   + also stated: {c['key']} ({c['status'].replace('_', ' ')}"
              f"{': ' + ', '.join(c.get('datasets', [])) if c.get('datasets') else ''})")
    if planned["reason"] and planned["end_state"] != "ok":
        print(f"   why: {planned['reason'][:400]}")


def totals(rows: list[tuple[dict, dict, dict]]) -> dict[str, Any]:
    servable_asks = [v for _, _, r in rows for v in r["verdicts"] if v["ask"]["datasets"]]
    unservable_asks = [v for _, _, r in rows for v in r["verdicts"] if not v["ask"]["datasets"]]
    checked = [r for _, _, r in rows if r["modality_ok"] is not None]
    not_servable = [(q, p) for q, p, _ in rows if not q["fully_servable"]]
    return {
        "requests": len(rows),
        "dataset_share": sum(bool(v["dataset_ok"]) for v in servable_asks) / max(1, len(servable_asks)),
        "dataset_chosen": sum(bool(v["dataset_ok"]) for v in servable_asks),
        "servable_asks": len(servable_asks),
        "samples_on_expected": sum(r["samples_on_expected"] for q, _, r in rows if q["fully_servable"]),
        "samples_servable": sum(r["samples"] for q, _, r in rows if q["fully_servable"]),
        "servable_served_ok": sum(v["verdict"] == "ok" for v in servable_asks),
        "servable_dropped": sum(v["verdict"] == "dropped" for v in servable_asks),
        "unservable_asks": len(unservable_asks),
        "unservable_admitted": sum(v["verdict"] == "admitted" for v in unservable_asks),
        "unservable_claimed": sum(v["verdict"] == "CLAIMED SERVED" for v in unservable_asks),
        "unservable_dropped": sum(v["verdict"] == "dropped" for v in unservable_asks),
        "modality_checked": len(checked),
        "wrong_modality": sum(not r["modality_ok"] for r in checked),
        "not_servable": len(not_servable),
        "ok_not_servable": sum(p["end_state"] == "ok" for _, p in not_servable),
        "end_state_right": sum(r["end_ok"] for _, _, r in rows),
        "end_states": dict(Counter(p["end_state"] for _, p, _ in rows)),
    }


def print_totals(t: dict[str, Any], rows: list[tuple[dict, dict, dict]]) -> None:
    def mark(ok: bool) -> str:
        return "met" if ok else "NOT MET"

    print("\n== totals")
    print(f"requests: {t['requests']} ({', '.join(f'{k} {v}' for k, v in sorted(Counter(q['modality'] for q, _, _ in rows).items()))}); "
          f"end states: {', '.join(f'{k} {v}' for k, v in sorted(t['end_states'].items()))}")
    print(f"expected dataset chosen: {t['dataset_chosen']}/{t['servable_asks']} asks = {100 * t['dataset_share']:.0f}% "
          f"(target >= {100 * TARGETS['dataset_share']:.0f}%: {mark(t['dataset_share'] >= TARGETS['dataset_share'])})")
    print(f"wrong-modality plans: {t['wrong_modality']} of {t['modality_checked']} "
          f"(target 0: {mark(t['wrong_modality'] == 0)})")
    print(f"`ok` on a request not fully servable: {t['ok_not_servable']} of {t['not_servable']} "
          f"(target 0: {mark(t['ok_not_servable'] == 0)})")
    print(f"servable asks served as asked by an expected dataset: {t['servable_served_ok']}/{t['servable_asks']}; "
          f"dropped without a word: {t['servable_dropped']}")
    print(f"samples planned on expected datasets (fully servable requests): {t['samples_on_expected']} of "
          f"{t['samples_servable']}")
    print(f"unservable asks admitted: {t['unservable_admitted']}/{t['unservable_asks']}; claimed served: "
          f"{t['unservable_claimed']}; dropped without a word: {t['unservable_dropped']}")
    print(f"end state as labelled: {t['end_state_right']}/{t['requests']}")
    for group in ("text", "image", "audio", "mixed"):
        part = [(q, p, r) for q, p, r in rows if q["modality"] == group]
        asks = [v for _, _, r in part for v in r["verdicts"] if v["ask"]["datasets"]]
        print(f"  {group:6s} requests {len(part):2d}: expected dataset {sum(bool(v['dataset_ok']) for v in asks)}/"
              f"{len(asks)}, wrong modality {sum(r['modality_ok'] is False for _, _, r in part)}, "
              f"end state right {sum(r['end_ok'] for _, _, r in part)}/{len(part)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="Plan only this request id (repeatable).")
    parser.add_argument("--json", default="", help="Also write every spec and verdict to this file.")
    args = parser.parse_args()
    os.environ.setdefault("BENCH_TASKS_INLINE", "1")  # an upload's import (and its card embedding) runs inline
    suite = load_suite(args.only)
    started = time.perf_counter()
    workdir = django_on_fresh_database("bench-plan-quality-")
    team, skipped, uploads = pool_setup(workdir)
    from datapool.models import Dataset

    slugs = set(Dataset.objects.filter(team=team).values_list("slug", flat=True))
    print(f"database: {database_label(workdir)}; pool: {len(slugs)} datasets (uploads: {', '.join(uploads) or 'none'}) "
          f"in {time.perf_counter() - started:.0f} s")
    for message in skipped:
        print(f"  skipped: {message}")
    missing = sorted({d for q in suite for a in q["asks"] for d in a["datasets"]} - slugs)
    if missing:
        print(f"  the labels name datasets the pool does not have: {', '.join(missing)} "
              "(their asks count as missed; install the starter packages)")
    rows = []
    for request in suite:
        planned = plan_request(team, request)
        result = judge(request, planned)
        print_request(request, planned, result)
        rows.append((request, planned, result))
    summary = totals(rows)
    print_totals(summary, rows)
    print(f"planned {len(rows)} requests in {time.perf_counter() - started:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps({"totals": summary, "requests": [
            {"id": q["id"], "planned": p, "judged": r} for q, p, r in rows]}, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
