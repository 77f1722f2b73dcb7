from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "pop.search"
    label = "pop_search"
