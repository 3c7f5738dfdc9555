"""Exports of a benchmark version into the formats evaluation harnesses read, in plain Python: each
writer fills a folder (items, media under media/, a card or task file) that the Django shell zips.

- jsonl: one item per line, media as relative paths;
- hf: a Hugging Face dataset folder — Parquet (images and recordings embedded as {bytes, path}) and a
  README.md dataset card whose YAML names the split and the features;
- inspect: an Inspect AI dataset (JSONL of samples: input, choices, target letter, metadata; images as
  content parts of the input) with a task file using its multiple_choice solver and choice scorer.
"""
from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agents.types import ItemContent

LETTERS = "ABCDEFGH"


class ExportMedia(BaseModel):
    kind: str  # image / audio
    abs_path: str
    sha256: str


class ExportItem(ItemContent):
    id: str
    subtask: str
    media: list[ExportMedia] = Field(default_factory=list)


class ExportInfo(BaseModel):
    name: str
    slug: str
    version: int
    description: str = ""
    request: str = ""
    checksum: str = ""
    subtasks: dict[str, str] = Field(default_factory=dict, description="key -> name: description")
    licenses: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)


def _media_name(media: ExportMedia) -> str:
    return f"media/{media.sha256[:24]}{Path(media.abs_path).suffix.lower()}"


def _copy_media(items: list[ExportItem], out: Path) -> None:
    (out / "media").mkdir(parents=True, exist_ok=True)
    for item in items:
        for media in item.media:
            target = out / _media_name(media)
            if not target.exists():
                shutil.copyfile(media.abs_path, target)


def _record(item: ExportItem) -> dict[str, Any]:
    return {"id": item.id, "subtask": item.subtask, "question": item.question, "context": item.context,
            "options": item.options, "answer": item.answer, "answer_index": item.answer_index,
            "accepted_answers": item.accepted_answers, "answer_type": item.answer_type}


def write_jsonl(items: list[ExportItem], info: ExportInfo, out: Path) -> None:
    _copy_media(items, out)
    with (out / "data.jsonl").open("w", encoding="utf-8") as handle:
        for item in items:
            record = _record(item)
            record["image"] = next((_media_name(m) for m in item.media if m.kind == "image"), None)
            record["audio"] = next((_media_name(m) for m in item.media if m.kind == "audio"), None)
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    (out / "info.json").write_text(json.dumps(info.model_dump(), indent=2, ensure_ascii=False), encoding="utf-8")


def _card(info: ExportInfo, features: list[tuple[str, str]], count: int) -> str:
    lines = ["---", "configs:", "- config_name: default", "  data_files:", "  - split: test",
             "    path: data/test-*.parquet", "dataset_info:", "  features:"]
    for name, dtype in features:
        if dtype.startswith("list:"):
            lines += [f"  - name: {name}", "    list: " + dtype.split(":", 1)[1]]
        else:
            lines += [f"  - name: {name}", f"    dtype: {dtype}"]
    lines += ["  splits:", "  - name: test", f"    num_examples: {count}"]
    if info.licenses:
        lines.append(f"license: {json.dumps(', '.join(sorted(set(info.licenses))))}")
    lines += ["task_categories:", "- question-answering", "---", ""]
    body = [f"# {info.name} (v{info.version})", "", info.description or "", "",
            "## What it evaluates", "", info.request, "", "## Subtasks", ""]
    body += [f"- `{key}`: {text}" for key, text in info.subtasks.items()]
    body += ["", "## Sources", ""] + [f"- {source}" for source in info.sources]
    body += ["", f"Built by the benchmark platform from the datasets above; {count} items; version checksum "
                 f"`{info.checksum}`.", ""]
    return "\n".join(lines + body)


def write_hf(items: list[ExportItem], info: ExportInfo, out: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    kinds = sorted({m.kind for item in items for m in item.media})
    columns: dict[str, list[Any]] = {name: [] for name in ("id", "subtask", "question", "context", "options", "answer",
                                                           "answer_index", "accepted_answers", "answer_type", *kinds)}
    for item in items:
        for name, value in _record(item).items():
            columns[name].append(value)
        for kind in kinds:
            media = next((m for m in item.media if m.kind == kind), None)
            columns[kind].append({"bytes": Path(media.abs_path).read_bytes(), "path": Path(media.abs_path).name}
                                 if media else None)
    media_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    schema = pa.schema([("id", pa.string()), ("subtask", pa.string()), ("question", pa.string()),
                        ("context", pa.string()), ("options", pa.list_(pa.string())), ("answer", pa.string()),
                        ("answer_index", pa.int64()), ("accepted_answers", pa.list_(pa.string())),
                        ("answer_type", pa.string()), *[(kind, media_type) for kind in kinds]])
    (out / "data").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns, schema=schema), out / "data" / "test-00000-of-00001.parquet")
    features = [("id", "string"), ("subtask", "string"), ("question", "string"), ("context", "string"),
                ("options", "list:string"), ("answer", "string"), ("answer_index", "int64"),
                ("accepted_answers", "list:string"), ("answer_type", "string"), *[(kind, kind) for kind in kinds]]
    (out / "README.md").write_text(_card(info, features, len(items)), encoding="utf-8")


INSPECT_TASK = '''"""Inspect AI task for {name} v{version} (exported by the benchmark platform).

    inspect eval task.py --model <provider/model>
"""
from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.dataset import json_dataset
from inspect_ai.scorer import choice
from inspect_ai.solver import multiple_choice

HERE = Path(__file__).parent


@task
def {function}():
    return Task(dataset=json_dataset(str(HERE / "dataset.jsonl")), solver=multiple_choice(), scorer=choice())
'''


def write_inspect(items: list[ExportItem], info: ExportInfo, out: Path) -> None:
    """Choice items only (Inspect's multiple_choice solver); the others are listed in skipped.json."""
    _copy_media(items, out)
    skipped = []
    with (out / "dataset.jsonl").open("w", encoding="utf-8") as handle:
        for item in items:
            if not item.options or item.answer_index is None:
                skipped.append(item.id)
                continue
            text = (f"{item.context}\n\n" if item.context else "") + item.question
            images = [{"type": "image", "image": _media_name(m)} for m in item.media if m.kind == "image"]
            audio = [{"type": "audio", "audio": _media_name(m), "format": Path(m.abs_path).suffix.lstrip(".") or "wav"}
                     for m in item.media if m.kind == "audio"]
            content = [{"type": "text", "text": text}, *images, *audio]
            handle.write(json.dumps({
                "id": item.id, "input": [{"role": "user", "content": content}] if images or audio else text,
                "choices": item.options, "target": LETTERS[item.answer_index],
                "metadata": {"subtask": item.subtask, "answer": item.answer}}, ensure_ascii=False) + "\n")
    function = "".join(ch if ch.isalnum() else "_" for ch in info.slug).strip("_") or "benchmark"
    (out / "task.py").write_text(INSPECT_TASK.format(name=info.name, version=info.version,
                                                     function=function[:60].lower()), encoding="utf-8")
    (out / "skipped.json").write_text(json.dumps(skipped), encoding="utf-8")


WRITERS: dict[str, Callable[[list[ExportItem], ExportInfo, Path], None]] = {
    "jsonl": write_jsonl, "hf": write_hf, "inspect": write_inspect}
