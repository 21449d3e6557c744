"""
The earlier implementation's second migration, kept under its original name.

It exists for databases of the earlier implementation that stopped after its first migration
(see ``0001_initial``); other databases use ``0001_squashed_legacy`` instead. It adds the
``upload_folder_prefix`` column; rows that already exist get an empty prefix.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("periodic_instructor_reports", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="periodicreportschedule",
            name="upload_folder_prefix",
            field=models.CharField(default="", max_length=254),
        ),
    ]
