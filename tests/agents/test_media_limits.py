"""The core's media tools refuse, from the header and before decoding, an image over the pixel limit
and a recording over the duration limit they are given (the core reads no settings of its own):
every tool that would decode one (decode check, degradation, cropping, OCR, noise mixing, speech
recognition) says why, writes nothing, and an executor step fails that item only."""
from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from agents.executor.toolbox import ToolBox
from agents.operators import OperatorError
from agents.tools.image import ImageTooLarge, image_open
from agents.tools.media import AudioTooLong, LocalTools, MediaLimits, audio_check, image_check
from agents.types import MediaRef
from tests.agents.test_offline_engine import NullLedger
from tests.hostile import huge_png, wav_declaring

FOUR_MP = "is 2000x2000 pixels (4.0 megapixels); the limit is 1.0 megapixels"


@pytest.fixture
def tools(tmp_path) -> LocalTools:
    return LocalTools(media_root=tmp_path / "media", limits=MediaLimits(max_image_pixels=1_000_000,
                                                                        max_audio_seconds=60))


@pytest.fixture
def big_image(tmp_path) -> Path:
    path = tmp_path / "big.png"
    path.write_bytes(huge_png(2000, 2000))
    return path


def generated(tools: LocalTools) -> list[Path]:
    return sorted(p for p in (tools.media_root / "generated").rglob("*") if p.is_file()) \
        if (tools.media_root / "generated").exists() else []


def test_every_image_tool_refuses_an_image_over_the_limit_it_was_given(tools, big_image):
    for run in (lambda: tools.degrade_image(str(big_image), "blur", 3, seed="k"),
                lambda: tools.crop_image(str(big_image), (0, 0, 100, 100)),
                lambda: tools.ocr(str(big_image))):
        with pytest.raises(ImageTooLarge) as refused:
            run()
        assert str(refused.value) == FOUR_MP
    check = tools.media_check(str(big_image), "image")
    assert (check.ok, check.detail) == (False, FOUR_MP)
    assert generated(tools) == []
    # Under the default limit (40 megapixels) the same image is fine.
    assert LocalTools(media_root=tools.media_root).media_check(str(big_image), "image").ok


def test_a_144_megapixel_header_is_refused_without_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(huge_png(12000, 12000))
    tracemalloc.start()
    try:
        check = image_check(str(path))
        with pytest.raises(ImageTooLarge), image_open(str(path)) as image:
            image.load()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert check.ok is False and check.detail.endswith("the limit is 40.0 megapixels")
    assert peak < 5_000_000  # decoded, it would be 144 MB


def test_an_executor_step_on_an_oversized_image_fails_that_item(tools, big_image):
    ledger = NullLedger()
    ref = MediaRef(path="image", file="big.png", abs_path=str(big_image), kind="image", sha256="")
    with pytest.raises(OperatorError) as failed:
        ToolBox(tools, ledger).degrade(ref, "blur", 3, "item-1")
    assert str(failed.value) == f"degrade_image failed: {FOUR_MP}"
    assert [(c["tool"], c["ok"], c["detail"]["error"]) for c in ledger.tool_calls] == [
        ("degrade_image", False, FOUR_MP)]


def test_recordings_over_the_duration_limit_are_refused_from_the_header(tools, tmp_path):
    path = tmp_path / "long.wav"
    path.write_bytes(wav_declaring(2 * 3600))  # 244 bytes that declare two hours
    reason = "is a recording of 7,200 s; the limit is 60 s"
    for run in (lambda: tools.mix_noise(str(path), 10.0, seed="k"), lambda: tools.transcribe(str(path))):
        with pytest.raises(AudioTooLong) as refused:
            run()
        assert str(refused.value) == reason
    assert (tools.media_check(str(path), "audio").detail, audio_check(str(path)).detail) == (
        reason, "is a recording of 7,200 s; the limit is 600 s")
    assert generated(tools) == []
