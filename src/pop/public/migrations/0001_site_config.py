"""The DSFR site configuration row (django-dsfr reads it in its context processor for every page):
site title, tagline, header/footer brand and the accessibility status shown in the footer."""
from django.db import migrations

SITE = {
    "site_title": "POP : la plateforme ouverte du patrimoine",
    "site_tagline": "Ministère de la Culture",
    "header_brand": "République française",
    "header_brand_html": "République<br>française",
    "footer_brand": "République française",
    "footer_brand_html": "République<br>française",
    "footer_description": "POP met à la disposition de tous le patrimoine culturel français : "
                          "collections des musées, monuments, objets mobiliers, photographies, "
                          "manuscrits enluminés et ressources biographiques.",
    "accessibility_status": "PART",
}


def create(apps, schema_editor):
    DsfrConfig = apps.get_model("dsfr", "DsfrConfig")
    if not DsfrConfig.objects.filter(language="fr").exists():
        DsfrConfig.objects.create(language="fr", **SITE)


class Migration(migrations.Migration):
    dependencies = [("dsfr", "0012_dsfrconfig_notice_description_and_more")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
