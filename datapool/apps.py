from django.apps import AppConfig


class DatapoolConfig(AppConfig):
    name = "datapool"
    verbose_name = "Dataset pool"
