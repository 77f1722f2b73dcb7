from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "pop.api"
    label = "pop_api"
