"""The media limits of the platform's settings, as the agent core's tools take them (the core reads
no settings of its own)."""
from __future__ import annotations

from django.conf import settings

from agents.tools.media import MediaLimits


def media_limits() -> MediaLimits:
    """Read per call, so a change of settings (a test's, say) applies at once."""
    return MediaLimits(max_image_pixels=settings.BENCH_MAX_IMAGE_PIXELS,
                       max_audio_seconds=settings.BENCH_MAX_AUDIO_SECONDS)
