from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "pop.public"
    label = "pop_public"
