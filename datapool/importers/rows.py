"""Records read from a source file no further than the row limit (BENCH_MAX_ROW_BYTES).

One 40 MB line used to be read whole, parsed, profiled, stored and shown on the dataset page (a
worker of 450 MB for one row). Here a record longer than the limit is never held whole: a JSONL or
CSV line is read with a bounded readline and the rest of it skipped in chunks (counted, so the
report can say how long it was); a General-Bench item is built from the parser's events and
dropped as soon as it passes the limit; Parquet rows are read in batches sized from the file's own
metadata and measured before they become Python objects. The caller names the record as a bad row
with the reason, and the other records are imported.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import ijson
from ijson.common import ObjectBuilder

_SKIP_CHUNK = 1 << 16
# Parquet is read a batch of rows at a time; a batch holds about this many bytes of the file.
PARQUET_BATCH_BYTES = 32 * 1024 * 1024


def byte_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"


def too_long(where: str, size: int, limit: int) -> str:
    """The bad-row reason of a record over the limit."""
    return f"{where} is {byte_size(size)}, over the {byte_size(limit)} limit for one record"


class RowTooLong(Exception):
    def __init__(self, line: int, size: int) -> None:
        super().__init__(f"line {line} is {size} bytes long")
        self.line, self.size = line, size


def _content_length(raw: bytes) -> int:
    """A line's length without its line break."""
    if raw.endswith(b"\r\n"):
        return len(raw) - 2
    return len(raw) - 1 if raw.endswith(b"\n") else len(raw)


def _skip_rest_of_line(handle: IO[bytes]) -> int:
    """Read the rest of a line in chunks, keeping none of it; how many bytes it had (break excluded)."""
    skipped = 0
    while chunk := handle.readline(_SKIP_CHUNK):
        if chunk.endswith(b"\n"):
            return skipped + _content_length(chunk)
        skipped += len(chunk)
    return skipped


def bounded_line(handle: IO[bytes], budget: int) -> tuple[bytes | None, int] | None:
    """The next line of a binary file (with its line break) and its length (without it); when the
    line is longer than `budget` bytes, (None, its length), read in chunks and never held whole.
    None at the end of the file."""
    budget = max(0, budget)
    raw = handle.readline(budget + 2)  # room for "\r\n", and one byte more to tell a longer line
    if not raw:
        return None
    size = _content_length(raw)
    if size > budget:
        return None, (size + _skip_rest_of_line(handle) if not raw.endswith(b"\n") else size)
    return raw, size


def jsonl_lines(handle: IO[bytes], limit: int) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, the line or None when it is over the limit, its length) for each line."""
    number = 0
    while (read := bounded_line(handle, limit)) is not None:
        number += 1
        yield number, read[0], read[1]


class CsvLines:
    """Lines for csv.reader, none read past the row limit. The lines of one row (a quoted field may
    span several) count together; a line that takes the row past the limit is skipped to its end
    and RowTooLong raised, which csv.reader passes on and recovers from at its next row (the rest
    of a quoted field that spanned lines would then be read as rows of its own, and refused)."""

    def __init__(self, handle: IO[bytes], limit: int) -> None:
        self.handle, self.limit = handle, limit
        self.number = 0  # physical lines read so far
        self._row = 0  # bytes of the row being read

    def row_start(self) -> None:
        self._row = 0

    def __iter__(self) -> CsvLines:
        return self

    def __next__(self) -> str:
        read = bounded_line(self.handle, self.limit - self._row)
        if read is None:
            raise StopIteration
        self.number += 1
        raw, size = read
        self._row += size
        if raw is None:
            raise RowTooLong(self.number, self._row)
        return raw.decode("utf-8")  # the whole file was checked to be UTF-8 before


def _event_size(event: str, value: Any) -> int:
    """About what the event takes in the JSON text (quotes, separators), in bytes."""
    if event in ("string", "map_key"):
        return (len(value) if value.isascii() else len(value.encode("utf-8"))) + 3
    if event == "number":
        return len(str(value)) + 1
    return 5 if event in ("null", "boolean") else 1


def general_bench_items(handle: IO[bytes], limit: int) -> Iterator[tuple[int, Any, int]]:
    """(position, the item or None when it is over the limit, its size) for each item of the
    top-level `data` list, streamed. The parser still reads any one string whole; the item around
    it is dropped at once and the rest of it only counted."""
    position, depth, size = -1, 0, 0
    builder: ObjectBuilder | None = None
    for prefix, event, value in ijson.parse(handle, use_float=True):
        if depth == 0:
            if prefix != "data.item":
                continue
            position, size = position + 1, _event_size(event, value)
            if event not in ("start_map", "start_array"):  # a bare value; the importer refuses it
                yield position, value, size
                continue
            builder = ObjectBuilder()
        else:
            size += _event_size(event, value)
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
        if builder is not None:
            if size > limit:
                builder = None
            else:
                builder.event(event, value)
        if depth == 0:
            yield position, builder.value if builder is not None else None, size
            builder = None


def _text_bytes(batch) -> list[int]:
    """Per row of an Arrow batch, the bytes of its string and binary cells: a lower bound of its
    size, known before any cell becomes a Python object."""
    import pyarrow as pa
    import pyarrow.compute as pc

    totals = [0] * batch.num_rows
    for column in batch.columns:
        kind = column.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind) \
                or pa.types.is_large_binary(kind):
            for i, n in enumerate(pc.fill_null(pc.binary_length(column), 0).to_pylist()):
                totals[i] += n
    return totals


def parquet_rows(path, limit: int) -> Iterator[tuple[int, dict | None, int]]:
    """(row number from 0, the row or None when it is over the limit, its size as JSON) for each
    row, a batch at a time."""
    import json

    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    meta = source.metadata
    widest = max((meta.row_group(i).total_byte_size / max(1, meta.row_group(i).num_rows)
                  for i in range(meta.num_row_groups)), default=1.0)
    number = 0
    for batch in source.iter_batches(batch_size=max(1, min(1000, int(PARQUET_BATCH_BYTES // max(1.0, widest))))):
        estimates = _text_bytes(batch)
        keep = [i for i, n in enumerate(estimates) if n <= limit]
        rows = iter(batch.take(keep).to_pylist()) if keep else iter(())
        for estimate in estimates:
            if estimate > limit:
                yield number, None, estimate
            else:
                row = next(rows)
                size = len(json.dumps(row, ensure_ascii=False, default=str).encode("utf-8"))
                yield number, (row if size <= limit else None), size
            number += 1
