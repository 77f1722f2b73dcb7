from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "pop.exports"
    label = "pop_exports"
