"""A proposal's due date stays where Python can read it back.

Before dates were checked, a due date of 9999-12-31 23:59 west of UTC was stored by
PostgreSQL as year 10000, which psycopg cannot load: the team's proposals list then
answered 500 for everyone. Such rows are brought back to the last readable moment the
constraint allows (the driver sees a far date and can set a real one); the constraint
keeps them out from then on.
"""

import datetime

from django.db import migrations, models

STORED_BEFORE = datetime.datetime(3000, 1, 1, tzinfo=datetime.UTC)


def bring_back_far_due_dates(apps, schema_editor):
    Proposal = apps.get_model("proposals", "Proposal")
    # An UPDATE, never a load: the far rows cannot be read into Python.
    Proposal.objects.filter(due_at__gte=STORED_BEFORE).update(
        due_at=STORED_BEFORE - datetime.timedelta(days=1)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("proposals", "0005_votes_preference_objections"),
    ]

    operations = [
        migrations.RunPython(bring_back_far_due_dates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="proposal",
            constraint=models.CheckConstraint(
                condition=models.Q(due_at__lt=STORED_BEFORE), name="proposal_due_at_readable"
            ),
        ),
    ]
