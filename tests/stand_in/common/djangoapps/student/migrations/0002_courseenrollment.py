import django.db.models.deletion
import opaque_keys.edx.django.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("student", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CourseEnrollment",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("course_id", opaque_keys.edx.django.models.CourseKeyField(db_index=True, max_length=255)),
                ("created", models.DateTimeField(auto_now_add=True, db_index=True, null=True)),
                ("is_active", models.BooleanField(default=True)),
                ("mode", models.CharField(default="audit", max_length=100)),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                           to=settings.AUTH_USER_MODEL)),
            ],
            options={"unique_together": {("user", "course_id")}},
        ),
    ]
