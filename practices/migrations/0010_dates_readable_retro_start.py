"""A retro's start stays where Python can read it back (see proposals 0004)."""

import datetime

from django.db import migrations, models

STORED_BEFORE = datetime.datetime(3000, 1, 1, tzinfo=datetime.UTC)


def bring_back_far_retros(apps, schema_editor):
    Retro = apps.get_model("practices", "Retro")
    # An UPDATE, never a load: the far rows cannot be read into Python.
    Retro.objects.filter(starts_at__gte=STORED_BEFORE).update(
        starts_at=STORED_BEFORE - datetime.timedelta(days=1)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("practices", "0009_outbox2_outbox_lease"),
    ]

    operations = [
        migrations.RunPython(bring_back_far_retros, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="retro",
            constraint=models.CheckConstraint(
                condition=models.Q(starts_at__lt=STORED_BEFORE), name="retro_starts_at_readable"
            ),
        ),
    ]
