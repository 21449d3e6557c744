# Each configuration belongs to a site, as on the platform. The stand-in's table had no rows
# that need one (the demo and the tests create configurations after this).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('site_configuration', '0001_initial'),
        ('sites', '0002_alter_domain_unique'),
    ]

    operations = [
        migrations.AddField(
            model_name='siteconfiguration',
            name='site',
            field=models.OneToOneField(default=None, on_delete=django.db.models.deletion.CASCADE, related_name='configuration', to='sites.site'),
            preserve_default=False,
        ),
    ]
