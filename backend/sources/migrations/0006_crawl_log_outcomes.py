# The per-URL log takes the crawler's outcome values (crawler.events.Outcome): "new" and
# "changed" become "fetched_new" and "fetched_changed"; the stored rows are renamed with them.

from django.db import migrations, models

RENAMED = {"new": "fetched_new", "changed": "fetched_changed"}


def rename(apps, mapping):
    entries = apps.get_model("sources", "CrawlLogEntry").objects
    for old, new in mapping.items():
        entries.filter(outcome=old).update(outcome=new)


def forwards(apps, schema_editor):
    rename(apps, RENAMED)


def backwards(apps, schema_editor):
    rename(apps, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):

    dependencies = [
        ('sources', '0005_source_parameter_bounds'),
    ]

    operations = [
        migrations.AlterField(
            model_name='crawllogentry',
            name='outcome',
            field=models.CharField(choices=[('fetched_new', 'fetched: new'), ('fetched_changed', 'fetched: changed'), ('unchanged', 'unchanged'), ('skipped', 'skipped'), ('failed', 'failed'), ('gone', 'gone')], max_length=20, verbose_name='outcome'),
        ),
        migrations.RunPython(forwards, backwards),
    ]
