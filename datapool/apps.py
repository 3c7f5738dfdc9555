from django.apps import AppConfig


class DatapoolConfig(AppConfig):
    name = "datapool"
    verbose_name = "Dataset pool"

    def ready(self) -> None:
        # Pillow's own guard, set from our limit for any code that opens an image without
        # agents.tools.image.image_open (which refuses above the limit from the header itself).
        from django.conf import settings

        from agents.tools.image import pillow_pixel_limit_set

        pillow_pixel_limit_set(settings.BENCH_MAX_IMAGE_PIXELS)
