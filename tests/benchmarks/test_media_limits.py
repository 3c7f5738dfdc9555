"""The executor's tools take the platform's media limits from the settings (the core reads none)."""
from __future__ import annotations

from pathlib import Path

from benchmarks.adapters import DjangoTools
from tests.hostile import huge_png, wav_declaring


def test_the_executor_tools_apply_the_settings_media_limits(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.BENCH_MAX_IMAGE_PIXELS, settings.BENCH_MAX_AUDIO_SECONDS = 1_000_000, 60
    image, audio = Path(tmp_path / "pool" / "big.png"), Path(tmp_path / "pool" / "long.wav")
    image.parent.mkdir()
    image.write_bytes(huge_png(2000, 2000))
    audio.write_bytes(wav_declaring(61))
    tools = DjangoTools()
    assert tools.media_check(str(image), "image").detail == \
        "is 2000x2000 pixels (4.0 megapixels); the limit is 1.0 megapixels"
    assert tools.media_check(str(audio), "audio").detail == "is a recording of 61 s; the limit is 60 s"
