from django.db import migrations


def seed(apps, schema_editor):
    from pop.catalog.producers import SEED

    ChangeCounter = apps.get_model("catalog", "ChangeCounter")
    Producer = apps.get_model("catalog", "Producer")
    ChangeCounter.objects.get_or_create(id=1, defaults={"value": 0})
    for label, base, prefixes in SEED:
        for prefix in prefixes or ("",):
            Producer.objects.get_or_create(label=label, base=base, prefix=prefix)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
