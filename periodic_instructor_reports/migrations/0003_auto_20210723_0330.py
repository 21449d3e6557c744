"""
The earlier implementation's third migration, kept under its original name.

It exists for databases of the earlier implementation that stopped after its first or second
migration (see ``0001_initial``); other databases use ``0001_squashed_legacy`` instead. It adds the
``flat`` folder structure to the choices, which changes nothing in the database.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("periodic_instructor_reports", "0002_periodicreportschedule_upload_folder_prefix"),
    ]

    operations = [
        migrations.AlterField(
            model_name="periodicreportschedule",
            name="upload_folder_structure",
            field=models.CharField(
                choices=[("regular", "regular"), ("by_date", "by_date"), ("flat", "flat")],
                default="regular",
                max_length=32,
            ),
        ),
    ]
