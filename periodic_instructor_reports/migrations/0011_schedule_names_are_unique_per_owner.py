"""A schedule's name is unique among its owner's schedules (0010 named the existing ones apart)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("periodic_instructor_reports", "0010_named_schedules_and_course_selection"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='periodicreportschedule',
            constraint=models.UniqueConstraint(fields=('owner', 'name'), name='pir_schedule_name_per_owner'),
        ),
    ]
