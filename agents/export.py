"""Exports of a benchmark version into the formats evaluation harnesses read, in plain Python: each
writer fills a folder (items, media under media/, a card or task file) that the Django shell zips.

- jsonl: one item per line, media as relative paths;
- hf: a Hugging Face dataset folder — Parquet (images and recordings embedded as {bytes, path}) and a
  README.md dataset card whose YAML names the split and the features;
- inspect: an Inspect AI dataset (JSONL of samples: input, choices, target letter, metadata; images as
  content parts of the input) with a task file using its multiple_choice solver and choice scorer;
- lm_eval: an lm-evaluation-harness task YAML (multiple_choice) with its data as a local JSONL file;
- lmms_eval: an lmms-eval task YAML with utils.py hooks over the Hugging Face Parquet (images);
- vlmevalkit: a VLMEvalKit multiple-choice TSV (MMBench layout, images as base64).

Whoever runs an export runs its code, so user text (the benchmark's name, its items, licenses) only
ever reaches the generated files as data: Python constants written with repr(), YAML written by a
YAML dumper, JSON by json.dumps, TSV cells neutralised against spreadsheet formulas. The Python
templates below contain no placeholders at all.
"""
from __future__ import annotations

import json
import keyword
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
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


# --- Generated files: user text only as data ------------------------------------------------------

class _YamlFunction(str):
    """A hook reference written as lmms-eval's `!function module.name` tag."""


class _ExportDumper(yaml.SafeDumper):
    pass


_ExportDumper.add_representer(_YamlFunction, lambda dumper, value: dumper.represent_scalar("!function", str(value)))


def yaml_document(data: dict[str, Any]) -> str:
    """YAML from data through PyYAML's dumper: any string (quotes, `: {`, newlines, control or bidi
    characters) comes out as a quoted, escaped scalar that loads back equal, never as YAML syntax.
    ASCII-only output: the escapes also keep characters a YAML reader refuses (DEL, C1) loadable."""
    return yaml.dump(data, Dumper=_ExportDumper, sort_keys=False, allow_unicode=False, default_flow_style=False,
                     width=120)


def python_identifier(text: str, *, prefix: str = "task") -> str:
    """An ASCII Python identifier from a slug-like text ("2024-vision" -> "task_2024_vision"): never
    a keyword, never starting with a digit, so the generated `def` always compiles."""
    name = re.sub(r"[^0-9a-z_]+", "_", text.lower()).strip("_")[:60].strip("_")
    if not name or name[0].isdigit() or keyword.iskeyword(name):
        name = f"{prefix}_{name}".rstrip("_")
    return name


def python_constants(**values: Any) -> str:
    """`NAME = <literal>` lines; repr() of str, int and None is a literal that evaluates to the value
    itself, whatever characters it holds."""
    for value in values.values():
        if not isinstance(value, (str, int, type(None))) or isinstance(value, bool):
            raise TypeError(f"only str, int or None become constants of generated code, not {type(value).__name__}")
    return "".join(f"{name} = {value!r}\n" for name, value in values.items())


# Spreadsheets run a cell that begins with one of these as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe(cell: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, prefixed with a single quote (the OWASP
    remedy: it is then shown as text). A plain number such as "-3" or "+1.5e3" is left alone: it
    cannot hold a formula, and a maths item keeps its options as written."""
    if isinstance(cell, str) and cell.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _card(info: ExportInfo, features: list[tuple[str, str]], count: int) -> str:
    feature_list = [{"name": name, "list": dtype.split(":", 1)[1]} if dtype.startswith("list:")
                    else {"name": name, "dtype": dtype} for name, dtype in features]
    front: dict[str, Any] = {
        "pretty_name": info.name,
        "configs": [{"config_name": "default", "data_files": [{"split": "test", "path": "data/test-*.parquet"}]}],
        "dataset_info": {"features": feature_list, "splits": [{"name": "test", "num_examples": count}]}}
    if info.licenses:
        front["license"] = ", ".join(sorted(set(info.licenses)))
    front["task_categories"] = ["question-answering"]
    # Markdown below the front matter is text for people; one line per heading keeps it readable.
    title = " ".join(info.name.split())
    body = [f"# {title} (v{info.version})", "", info.description or "", "",
            "## What it evaluates", "", info.request, "", "## Subtasks", ""]
    body += [f"- `{key}`: {text}" for key, text in info.subtasks.items()]
    body += ["", "## Sources", ""] + [f"- {source}" for source in info.sources]
    body += ["", f"Built by the benchmark platform from the datasets above; {count} items; version checksum "
                 f"`{info.checksum}`.", ""]
    return "---\n" + yaml_document(front) + "---\n\n" + "\n".join(body)


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


# The task's function name is the only generated identifier: python_identifier() makes it from the
# slug, ASCII letters, digits and underscores only. Everything else the file says about the benchmark
# is in the constants written after the imports.
INSPECT_TASK_HEAD = '''"""Inspect AI task for a benchmark exported by the benchmark platform (its name and version are
BENCHMARK_NAME and BENCHMARK_VERSION below).

    inspect eval task.py --model <provider/model>
"""
from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.dataset import json_dataset
from inspect_ai.scorer import choice
from inspect_ai.solver import multiple_choice

'''

INSPECT_TASK_FUNCTION = '''
HERE = Path(__file__).parent


@task
def FUNCTION():
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
    source = (INSPECT_TASK_HEAD + python_constants(BENCHMARK_NAME=info.name, BENCHMARK_VERSION=info.version)
              + INSPECT_TASK_FUNCTION.replace("FUNCTION", python_identifier(info.slug)))
    (out / "task.py").write_text(source, encoding="utf-8")
    (out / "skipped.json").write_text(json.dumps(skipped), encoding="utf-8")


WRITERS: dict[str, Callable[[list[ExportItem], ExportInfo, Path], None]] = {
    "jsonl": write_jsonl, "hf": write_hf, "inspect": write_inspect}


def _task_name(info: ExportInfo) -> str:
    """The harness task name (also the YAML and TSV file name): slug characters only, so it is a
    plain file name and a plain YAML scalar."""
    return python_identifier(info.slug, prefix="benchmark") + f"_v{int(info.version)}"


def _metadata(info: ExportInfo) -> dict[str, Any]:
    return {"version": 1.0, "benchmark": info.name, "benchmark_version": int(info.version), "checksum": info.checksum}


LM_EVAL_TEXT = ("{% if context %}{{context}}\n\n{% endif %}Question: {{question}}\n"
                "{% for option in options %}{{ 'ABCDEFGH'[loop.index0] }}. {{option}}\n{% endfor %}Answer:")


def write_lm_eval(items: list[ExportItem], info: ExportInfo, out: Path) -> None:
    """An lm-evaluation-harness task (multiple_choice over the options' text, accuracy) with its data
    as a local JSONL file; text choice items only (the rest are listed in skipped.json). Run it from
    the exported folder: `lm_eval --include_path . --tasks <task> --model ...`."""
    (out / "data").mkdir(parents=True, exist_ok=True)
    skipped = []
    with (out / "data" / "test.jsonl").open("w", encoding="utf-8") as handle:
        for item in items:
            if item.media or not item.options or item.answer_index is None:
                skipped.append(item.id)
                continue
            handle.write(json.dumps(_record(item), ensure_ascii=False) + "\n")
    name = _task_name(info)
    (out / f"{name}.yaml").write_text(yaml_document({
        "task": name, "dataset_path": "json", "dataset_kwargs": {"data_files": {"test": "data/test.jsonl"}},
        "test_split": "test", "output_type": "multiple_choice", "doc_to_text": LM_EVAL_TEXT,
        "doc_to_choice": "{{options}}", "doc_to_target": "answer_index",
        "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
        "metadata": _metadata(info)}), encoding="utf-8")
    (out / "skipped.json").write_text(json.dumps(skipped), encoding="utf-8")


# A fixed module: no placeholder, no str.format. What it says about the benchmark is appended as
# constants by write_lmms_eval.
LMMS_UTILS = '''"""lmms-eval hooks for a benchmark exported by the benchmark platform (its name is BENCHMARK_NAME
at the end of this file)."""
import io
import re

from PIL import Image

LETTERS = "ABCDEFGH"


def doc_to_visual(doc):
    image = doc.get("image")
    if not image:
        return []
    if isinstance(image, dict):
        return [Image.open(io.BytesIO(image["bytes"])).convert("RGB")]
    return [image.convert("RGB")]


def doc_to_text(doc, lmms_eval_specific_kwargs=None):
    lines = [doc["context"]] if doc.get("context") else []
    lines.append(doc["question"])
    lines += [f"{LETTERS[i]}. {option}" for i, option in enumerate(doc["options"])]
    lines.append("Answer with the option's letter from the given choices directly.")
    return "\\n".join(lines)


def doc_to_target(doc):
    return LETTERS[doc["answer_index"]]


def process_results(doc, results):
    reply = results[0].strip()
    match = re.search(r"\\b([A-H])\\b", reply.upper())
    return {"accuracy": float(bool(match) and match.group(1) == doc_to_target(doc))}


'''


def write_lmms_eval(items: list[ExportItem], info: ExportInfo, out: Path) -> None:
    """An lmms-eval task (generate_until, images through doc_to_visual) over the Hugging Face Parquet
    of the same items (choice items; the rest in skipped.json)."""
    chosen = [item for item in items if item.options and item.answer_index is not None]
    write_hf(chosen, info, out)
    (out / "README.md").rename(out / "DATASET_CARD.md")
    name = _task_name(info)
    (out / f"{name}.yaml").write_text(yaml_document({
        "task": name, "dataset_path": "parquet",
        "dataset_kwargs": {"data_files": {"test": "data/test-00000-of-00001.parquet"}},
        "test_split": "test", "output_type": "generate_until",
        "doc_to_visual": _YamlFunction("utils.doc_to_visual"), "doc_to_text": _YamlFunction("utils.doc_to_text"),
        "doc_to_target": _YamlFunction("utils.doc_to_target"),
        "process_results": _YamlFunction("utils.process_results"),
        "generation_kwargs": {"max_new_tokens": 16, "temperature": 0},
        "metric_list": [{"metric": "accuracy", "aggregation": "mean", "higher_is_better": True}],
        "metadata": _metadata(info)}), encoding="utf-8")
    (out / "utils.py").write_text(LMMS_UTILS + python_constants(BENCHMARK_NAME=info.name,
                                                                BENCHMARK_VERSION=info.version), encoding="utf-8")
    (out / "skipped.json").write_text(json.dumps([i.id for i in items if i not in chosen]), encoding="utf-8")


def write_vlmevalkit(items: list[ExportItem], info: ExportInfo, out: Path) -> None:
    """A VLMEvalKit multiple-choice TSV (MMBench layout: index, image as base64, question, hint, A-H,
    answer letter, category); choice items only. Text cells are spreadsheet-safe (spreadsheet_safe):
    a TSV is opened in spreadsheets as often as it is read by the harness."""
    import base64
    import csv

    chosen = [item for item in items if item.options and item.answer_index is not None]
    width = max((len(item.options) for item in chosen), default=4)
    letters = list(LETTERS[:width])
    with (out / f"{_task_name(info)}.tsv").open("w", encoding="utf-8", newline="") as handle:
        # CRLF line ends (as RFC 4180): the csv module quotes a cell holding any character of the line
        # terminator, so a carriage return inside a question is quoted instead of ending the row.
        writer = csv.writer(handle, delimiter="\t", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(["index", "image", "question", "hint", *letters, "answer", "category", "split"])
        for index, item in enumerate(chosen):
            image = next((m for m in item.media if m.kind == "image"), None)
            # base64 (the image column) is data for the harness, never text a person types: not touched.
            encoded = base64.b64encode(Path(image.abs_path).read_bytes()).decode("ascii") if image else ""
            options = item.options + [""] * (width - len(item.options))
            writer.writerow([index, encoded, *map(spreadsheet_safe, [item.question, item.context, *options]),
                             LETTERS[item.answer_index], spreadsheet_safe(item.subtask), "test"])
    (out / "skipped.json").write_text(json.dumps([i.id for i in items if i not in chosen]), encoding="utf-8")


WRITERS.update({"lm_eval": write_lm_eval, "lmms_eval": write_lmms_eval, "vlmevalkit": write_vlmevalkit})
