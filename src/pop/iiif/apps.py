from django.apps import AppConfig


class IiifConfig(AppConfig):
    name = "pop.iiif"
    label = "pop_iiif"
