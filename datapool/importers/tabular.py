"""JSON Lines, CSV/TSV and Parquet importers, streamed row by row, with a column mapping to field
roles ({"question": "q", "options": "choices", "answer": "label", "image": "img_path", ...}).

Columns the mapping does not name are kept in the record and profiled; the card's roles come from
the mapping first and from profiling for the rest. Media paths are looked up relative to the
file's folder (or `base_dir`) and never outside it.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings

from datapool.importers.rows import (
    CsvLines,
    RowTooLong,
    bounded_line,
    jsonl_lines,
    parquet_rows,
    too_long,
)
from datapool.importers.writer import (
    DatasetImportReport,
    DatasetWriter,
    SourceNames,
    media_kind,
    resolve_inside,
    utf8_problem,
)
from datapool.models import Dataset
from teams.models import Team

ROLES = frozenset({"id", "question", "options", "answer", "context", "label", "image", "audio", "bbox", "dialog"})
FORMATS = {".jsonl": Dataset.SourceFormat.JSONL, ".ndjson": Dataset.SourceFormat.JSONL,
           ".csv": Dataset.SourceFormat.CSV, ".tsv": Dataset.SourceFormat.CSV, ".parquet": Dataset.SourceFormat.PARQUET}
# The row limit (BENCH_MAX_ROW_BYTES) bounds a CSV row before the csv module sees it; the module's
# own cap (128 KiB by default) would refuse long passages that fit the row limit.
csv.field_size_limit(2**31 - 1)

Row = tuple[int, dict[str, Any] | None, str]  # (row number, the row or None, why it is bad)


class MappingError(ValueError):
    pass


def _jsonl_rows(path: Path) -> Iterator[Row]:
    limit = settings.BENCH_MAX_ROW_BYTES
    with path.open("rb") as handle:
        for number, line, size in jsonl_lines(handle, limit):
            if line is None:
                yield number, None, too_long(f"line {number}", size, limit)
                continue
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, None, f"line {number} is not valid JSON: {exc.msg} at column {exc.colno}"
                continue
            if not isinstance(value, dict):
                yield number, None, f"line {number} is not a JSON object"
                continue
            yield number, value, ""


def _csv_header(reader, limit: int) -> list[str]:
    try:
        return next(reader)
    except StopIteration:
        return []
    except RowTooLong as exc:
        raise MappingError(too_long("the header (line 1)", exc.size, limit)) from exc
    except csv.Error as exc:
        raise MappingError(f"the header (line 1) cannot be read as CSV: {exc}") from exc


def _csv_rows(path: Path) -> Iterator[Row]:
    limit = settings.BENCH_MAX_ROW_BYTES
    with path.open("rb") as handle:
        lines = CsvLines(handle, limit)
        reader = csv.reader(lines, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
        header = _csv_header(reader, limit)
        while True:
            lines.row_start()
            try:
                values = next(reader)
            except StopIteration:
                return
            except RowTooLong as exc:
                yield exc.line, None, too_long(f"line {exc.line}", exc.size, limit)
                continue
            except csv.Error as exc:  # a NUL byte, say: this row only
                yield lines.number, None, f"line {lines.number} cannot be read as CSV: {exc}"
                continue
            if not values:
                continue  # a blank line, as csv.DictReader skips them
            number = lines.number
            if len(values) != len(header):
                yield number, None, f"line {number} has {len(values)} fields; the header has {len(header)}"
                continue
            yield number, {key: (value if value != "" else None) for key, value in zip(header, values)}, ""


def _parquet_rows(path: Path) -> Iterator[Row]:
    limit = settings.BENCH_MAX_ROW_BYTES
    for number, row, size in parquet_rows(path, limit):
        yield (number, None, too_long(f"row {number}", size, limit)) if row is None else (number, row, "")


def table_columns(path: Path) -> list[str]:
    """The file's columns (a CSV header, the first JSON object's keys), read within the row limit."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(path).schema_arrow.names)
    limit = settings.BENCH_MAX_ROW_BYTES
    with path.open("rb") as handle:
        if suffix in (".csv", ".tsv"):
            lines = CsvLines(handle, limit)
            return _csv_header(csv.reader(lines, delimiter="\t" if suffix == ".tsv" else ","), limit)
        while (read := bounded_line(handle, limit)) is not None:
            line = read[0]
            if line is not None and line.strip():  # a row over the limit is a bad row; the next one names the columns
                try:
                    first = json.loads(line)
                except json.JSONDecodeError:
                    return []
                return list(first) if isinstance(first, dict) else []
    return []


def table_rows(path: Path) -> Iterator[Row]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _parquet_rows(path)
    if suffix in (".csv", ".tsv"):
        return _csv_rows(path)
    return _jsonl_rows(path)


def check_mapping(mapping: dict[str, str], columns: list[str]) -> None:
    unknown_roles = sorted(set(mapping) - ROLES)
    if unknown_roles:
        raise MappingError(f"unknown roles {unknown_roles}; use any of {sorted(ROLES)}")
    for role, column in mapping.items():
        if column not in columns:
            raise MappingError(f"column {column!r} (mapped to {role}) is not in the file; columns: {', '.join(columns)}")


def _options(value: Any, separator: str | None) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                return value
            return parsed if isinstance(parsed, list) else value
        if separator:
            return [part.strip() for part in text.split(separator)]
    return value


def import_rows(*, writer: DatasetWriter, rows: Iterator[Row], mapping: dict[str, str], base_dir: Path,
                options_separator: str | None = None) -> DatasetImportReport:
    """Feed table rows to a writer; media are the mapped image/audio columns and any cell naming a media file."""
    id_column = mapping.get("id") or ""
    options_column = mapping.get("options")
    # Without a mapping, a column literally named "options" or "choices" that holds a JSON list (as a
    # CSV cell must) is read as the list it is, so a flat upload's options profile as options.
    named_options = None if options_column else ("options", "choices")
    media_columns = {mapping[r] for r in ("image", "audio") if r in mapping}
    for number, row, problem in rows:
        if row is None:
            writer.bad(number, problem)
            continue
        if options_column and options_column in row:
            row[options_column] = _options(row[options_column], options_separator)
        for column in named_options or ():
            if isinstance(row.get(column), str) and row[column].lstrip().startswith("["):
                row[column] = _options(row[column], None)
        source_id = row.get(id_column) if id_column else row.get("id", number)
        media = []
        for column, value in row.items():
            if isinstance(value, str) and (column in media_columns or (len(value) < 500 and media_kind(value))):
                if column in media_columns and not media_kind(value):
                    shown = value if len(value) <= 200 else f"{value[:200]}…"
                    writer.bad(number, f"{column} = {shown!r} is not an image or audio file name", str(source_id))
                    break
                media.append((column, resolve_inside(base_dir, value), value))
        else:
            writer.add(row=number, source_id=source_id, payload=row, media=media)
    return writer.finish()


def dataset_import_table(*, team: Team, path: Path, name: str = "", mapping: dict[str, str] | None = None,
                         license: str = "", base_dir: Path | None = None, slug: str = "",
                         options_separator: str | None = None, names: SourceNames = SourceNames(),
                         on_progress: Callable[[int], None] | None = None) -> DatasetImportReport:
    """Import a .jsonl/.ndjson, .csv/.tsv or .parquet file. Idempotent. `names` says how the file is
    named in the report (an upload: by the user's file name)."""
    name = name or path.stem
    source, shown = names.source(path), names.name(path)
    source_format = FORMATS.get(path.suffix.lower())
    if source_format is None:
        return DatasetImportReport(dataset=name, source=source,
                                   error=f"{shown}: not a .jsonl, .ndjson, .csv, .tsv or .parquet file")
    if source_format != Dataset.SourceFormat.PARQUET:
        problem = utf8_problem(path, name=shown)
        if problem:
            return DatasetImportReport(dataset=name, source=source, error=problem)
    mapping = dict(mapping or {})
    try:
        check_mapping(mapping, table_columns(path))
    except MappingError as exc:
        return DatasetImportReport(dataset=name, source=source, error=f"{shown}: {exc}")
    except Exception as exc:  # pyarrow raises its own error types for a file that is not Parquet
        return DatasetImportReport(dataset=name, source=source,
                                   error=f"{shown} cannot be read: {names.scrub(str(exc), path)}")
    writer = DatasetWriter(team=team, name=name, source_format=source_format, source=source, source_name=shown,
                           mapping={role: column for role, column in mapping.items() if role != "id"},
                           license=license, slug=slug, on_progress=on_progress)
    return import_rows(writer=writer, rows=table_rows(path), mapping=mapping, base_dir=base_dir or path.parent,
                       options_separator=options_separator)
