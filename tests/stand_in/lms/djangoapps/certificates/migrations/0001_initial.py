"""Initial schema of the stand-in certificates app."""

import django.db.models.deletion
import opaque_keys.edx.django.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="GeneratedCertificate",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("course_id", opaque_keys.edx.django.models.CourseKeyField(blank=True, default=None, max_length=255)),
                ("grade", models.CharField(blank=True, default="", max_length=5)),
                ("status", models.CharField(default="unavailable", max_length=32)),
                ("mode", models.CharField(default="honor", max_length=32)),
                ("created_date", models.DateTimeField(auto_now_add=True)),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
            ],
            options={"unique_together": {("user", "course_id")}},
        ),
        migrations.CreateModel(
            name="CertificateAllowlist",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("course_id", opaque_keys.edx.django.models.CourseKeyField(blank=True, default=None, max_length=255)),
                ("allowlist", models.BooleanField(default=0)),
                ("notes", models.TextField(default=None, null=True)),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
            ],
            options={"unique_together": {("course_id", "user")}},
        ),
        migrations.CreateModel(
            name="CertificateInvalidation",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("notes", models.TextField(default=None, null=True)),
                ("active", models.BooleanField(default=True)),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("generated_certificate", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, to="certificates.generatedcertificate")),
                ("invalidated_by", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
