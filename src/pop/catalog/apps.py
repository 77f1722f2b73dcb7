from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "pop.catalog"
    label = "catalog"
    verbose_name = "Catalogue"
