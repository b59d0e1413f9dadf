"""The imports, the crosswalks and the sync state, taken over from the app ``activity`` (its 0006 let
go of them): the tables exist already under their old names, so only the state is created here, and
the content types follow so that permissions given on them still hold."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MOVED = ["importrun", "sourceaccount", "sourceowner", "synccursor", "syncrun"]


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="activity", model__in=MOVED).update(app_label="datain")


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="datain", model__in=MOVED).update(app_label="activity")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('activity', '0006_data_in_moves_out'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('accounts', '0006_names_are_one_line'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SyncCursor',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('source', models.CharField(max_length=32, unique=True, verbose_name='source')),
                        ('cursor', models.CharField(blank=True, max_length=2000, verbose_name='cursor')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                    ],
                    options={
                        'verbose_name': 'sync cursor',
                        'verbose_name_plural': 'sync cursors',
                        'db_table': 'activity_synccursor',
                    },
                ),
                migrations.CreateModel(
                    name='SyncRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('source', models.CharField(max_length=32, verbose_name='source')),
                        ('kind', models.CharField(max_length=16, verbose_name='kind')),
                        ('status', models.CharField(choices=[('running', 'Running'), ('done', 'Loaded'), ('checked', 'Checked (dry run)'), ('invalid', 'Refused: errors found'), ('failed', 'Failed')], max_length=8, verbose_name='status')),
                        ('dry_run', models.BooleanField(default=False, verbose_name='dry run')),
                        ('trigger', models.CharField(blank=True, max_length=16, verbose_name='trigger')),
                        ('cursor_from', models.CharField(blank=True, max_length=2000, verbose_name='from cursor')),
                        ('cursor_to', models.CharField(blank=True, max_length=2000, verbose_name='to cursor')),
                        ('pages', models.PositiveIntegerField(default=0)),
                        ('records', models.PositiveIntegerField(default=0, verbose_name='records read')),
                        ('skipped', models.PositiveIntegerField(default=0, verbose_name='records skipped')),
                        ('rows_read', models.PositiveIntegerField(default=0)),
                        ('created', models.PositiveIntegerField(default=0)),
                        ('updated', models.PositiveIntegerField(default=0)),
                        ('unchanged', models.PositiveIntegerField(default=0)),
                        ('error_count', models.PositiveIntegerField(default=0)),
                        ('errors', models.JSONField(blank=True, default=list)),
                        ('message', models.TextField(blank=True)),
                        ('started_at', models.DateTimeField(auto_now_add=True, verbose_name='started')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished')),
                    ],
                    options={
                        'verbose_name': 'sync',
                        'verbose_name_plural': 'syncs',
                        'db_table': 'activity_syncrun',
                        'ordering': ['-started_at', '-pk'],
                        'indexes': [models.Index(fields=['source', '-started_at'], name='sync_run_source_started')],
                    },
                ),
                migrations.CreateModel(
                    name='ImportRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('attempt', models.PositiveIntegerField(default=0)),
                        ('sends', models.PositiveSmallIntegerField(default=0)),
                        ('queued_at', models.DateTimeField(blank=True, null=True, verbose_name='queued')),
                        ('heartbeat_at', models.DateTimeField(blank=True, null=True, verbose_name='last sign of life')),
                        ('kind', models.CharField(max_length=16, verbose_name='kind')),
                        ('source', models.CharField(choices=[('command', 'Command line'), ('upload', 'Upload page'), ('api', 'API')], max_length=8, verbose_name='source')),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('validating', 'Checking'), ('valid', 'Checked: ready to import'), ('invalid', 'Refused: errors found'), ('importing', 'Importing'), ('done', 'Imported'), ('failed', 'Failed'), ('cancelled', 'Cancelled')], max_length=12, verbose_name='status')),
                        ('dry_run', models.BooleanField(default=False, verbose_name='dry run')),
                        ('filename', models.CharField(blank=True, max_length=255, verbose_name='file')),
                        ('stored_file', models.CharField(blank=True, max_length=500)),
                        ('source_format', models.CharField(blank=True, max_length=32, verbose_name='source format')),
                        ('mapping', models.TextField(blank=True, verbose_name='mapping file')),
                        ('task_id', models.CharField(blank=True, max_length=64)),
                        ('rows_read', models.PositiveIntegerField(default=0)),
                        ('created', models.PositiveIntegerField(default=0)),
                        ('updated', models.PositiveIntegerField(default=0)),
                        ('unchanged', models.PositiveIntegerField(default=0)),
                        ('error_count', models.PositiveIntegerField(default=0)),
                        ('errors', models.JSONField(blank=True, default=list)),
                        ('message', models.TextField(blank=True)),
                        ('started_at', models.DateTimeField(auto_now_add=True, verbose_name='started')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='import_runs', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'import',
                        'verbose_name_plural': 'imports',
                        'db_table': 'activity_importrun',
                        'ordering': ['-started_at', '-pk'],
                        'indexes': [models.Index(condition=models.Q(('status__in', ['queued', 'validating', 'importing'])), fields=['status'], name='importrun_on_its_way')],
                    },
                ),
                migrations.CreateModel(
                    name='SourceAccount',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('source', models.CharField(max_length=32, verbose_name='source')),
                        ('source_id', models.CharField(max_length=100, verbose_name='id in the source')),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='source_ids', to='accounts.customeraccount')),
                    ],
                    options={
                        'verbose_name': 'account crosswalk entry',
                        'verbose_name_plural': 'account crosswalk',
                        'db_table': 'activity_sourceaccount',
                        'indexes': [models.Index(fields=['account'], name='source_account_account')],
                        'constraints': [models.UniqueConstraint(fields=('source', 'source_id'), name='source_account_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='SourceOwner',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('source', models.CharField(max_length=32, verbose_name='source')),
                        ('source_id', models.CharField(max_length=100, verbose_name='id in the source')),
                        ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='source_ids', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'owner crosswalk entry',
                        'verbose_name_plural': 'owner crosswalk',
                        'db_table': 'activity_sourceowner',
                        'indexes': [models.Index(fields=['person'], name='source_owner_person')],
                        'constraints': [models.UniqueConstraint(fields=('source', 'source_id'), name='source_owner_unique')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
