from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "pop.demo"
    label = "pop_demo"
    verbose_name = "Données de démonstration"
