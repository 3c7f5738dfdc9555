"""Media hygiene (issue 16): no file a sample carries keeps metadata. The answer is planted in each
kind of metadata an image or a recording can hold (a JPEG comment, EXIF, a PNG text chunk, XMP, a
WAV's LIST/INFO and id3 chunks, an MP3's ID3 tags); a real cell run over those records makes samples
whose files hold none of it, and the ledger says what was stripped."""
from __future__ import annotations

import struct
import wave
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from agents.executor.cell import run_cell
from agents.tools.hygiene import audio_metadata, clean_audio, clean_image, image_metadata
from agents.tools.media import LocalTools
from agents.types import Cell, MediaRef, Operator, RecordView, TransformPlan
from tests.agents.test_offline_engine import ListSink, MemoryPool, NullLedger, card

SECRET = b"Claude Monet"


def _op(name, reads, writes, **params):
    return Operator(op=name, reads=reads, writes=writes, params=params)


_TONE = (8000 * np.sin(2 * np.pi * 440 * np.arange(8000) / 16000)).astype("<i2")


def _wav(path: Path, *, chunks: list[tuple[bytes, bytes]] = ()) -> Path:
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(16000)
        audio.writeframes(_TONE.tobytes())  # heard: the source screen rejects a silent recording
    body = path.read_bytes()[12:] + b"".join(c + struct.pack("<I", len(p)) + p + (b"\0" if len(p) & 1 else b"")
                                             for c, p in chunks)
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body)
    return path


def _images(folder: Path) -> dict[str, Path]:
    # A picture with content (a gradient): the source screen rejects a blank one.
    picture = Image.fromarray(np.stack([np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1))] * 3, axis=-1), "RGB")
    out = {}
    picture.save(out.setdefault("jpeg comment", folder / "comment.jpg"), comment=SECRET)
    exif = Image.Exif()
    exif[0x010E] = SECRET.decode()  # ImageDescription
    picture.save(out.setdefault("exif", folder / "exif.jpg"), exif=exif)
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", SECRET.decode())
    picture.save(out.setdefault("png text", folder / "text.png"), pnginfo=text)
    xmp = PngImagePlugin.PngInfo()
    xmp.add_itxt("XML:com.adobe.xmp", f"<x:xmpmeta><dc:creator>{SECRET.decode()}</dc:creator></x:xmpmeta>")
    picture.save(out.setdefault("xmp", folder / "xmp.png"), pnginfo=xmp)
    return out


def _recordings(folder: Path) -> dict[str, Path]:
    info = b"INFO" + b"INAM" + struct.pack("<I", len(SECRET) + 1) + SECRET + b"\0"
    out = {"wav info": _wav(folder / "info.wav", chunks=[(b"LIST", info)]),
           "wav id3": _wav(folder / "id3.wav", chunks=[(b"id3 ", b"ID3\x03\x00\x00\x00\x00\x00\x10TIT2" + SECRET)])}
    mp3 = folder / "tagged.mp3"
    with av.open(str(mp3), "w", format="mp3") as container:
        container.metadata["title"] = SECRET.decode()
        stream = container.add_stream("libmp3lame", rate=16000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.tile(_TONE, 2).reshape(1, 16000), format="s16", layout="mono")
        frame.rate = 16000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    out["mp3 id3"] = mp3
    return out


def test_every_kind_of_metadata_is_found_and_a_clean_copy_holds_none(tmp_path):
    for kind, path in _images(tmp_path).items():
        assert image_metadata(str(path)), kind
        clean = clean_image(str(path), store_dir=tmp_path / "clean", relative_to=tmp_path)
        assert (image_metadata(clean.abs_path), SECRET in Path(clean.abs_path).read_bytes()) == ([], False), kind
        with Image.open(path) as before, Image.open(clean.abs_path) as after:
            assert (after.size, after.format) == (before.size, before.format)
    for kind, path in _recordings(tmp_path).items():
        assert audio_metadata(str(path)), kind
        clean = clean_audio(str(path), store_dir=tmp_path / "clean", relative_to=tmp_path)
        assert (audio_metadata(clean.abs_path), SECRET in Path(clean.abs_path).read_bytes()) == ([], False), kind
        with wave.open(clean.abs_path) as audio:
            assert (audio.getframerate(), audio.getnchannels()) == (16000, 1) and audio.getnframes() >= 8000, kind


@pytest.mark.parametrize("medium", ["image", "audio"])
def test_a_built_sample_never_carries_its_sources_metadata(tmp_path, medium):
    media_root = tmp_path / "media"
    media_root.mkdir()
    files = _images(media_root) if medium == "image" else _recordings(media_root)
    c = card("art", {"question": ["q"], "options": ["opts"], "answer": ["a"], medium: ["file"]},
             modalities=(medium, "text"))
    records = [RecordView(record_id=i, dataset_id=c.dataset_id, source_id=f"r{i}",
                          payload={"q": f"Which painter made work {i}?", "opts": ["Monet", "Turner", "Goya"], "a": "A",
                                   "file": path.name},
                          media=[MediaRef(path="file", file=path.name, abs_path=str(path), kind=medium)])
               for i, path in enumerate(files.values())]
    plan = TransformPlan(template="t", answer_type="choice", operators=[
        _op("read_text", ["record:q"], ["question"], path="q", into="question"),
        _op("options_from_list", ["record:opts"], ["options"], path="opts"),
        _op("answer_from_letter", ["record:a"], ["answer_index"], path="a"),
        _op("attach_media", ["record:file"], ["media"], path="file")])
    cell = Cell(subtask_key="s", grounding_id=1, dataset_id=c.dataset_id, dataset_slug="art", plan=plan,
                quota=len(records))
    sink, ledger = ListSink(), NullLedger()
    run_cell(cell, modalities=[medium, "text"], pool=MemoryPool([(c, records)], embedder=None),
             tools=LocalTools(media_root=media_root), ledger=ledger, sink=sink)

    assert len(sink.samples) == len(files)
    for sample in sink.samples:
        (ref,) = sample.media
        assert ref.file.startswith("generated/clean/") and SECRET not in Path(ref.abs_path).read_bytes(), sample.source_id
    stripped = [call for call in ledger.tool_calls if call["tool"] == "strip_metadata"]
    assert len(stripped) == len(files) and all(call["ok"] and call["detail"]["stripped"] for call in stripped)
