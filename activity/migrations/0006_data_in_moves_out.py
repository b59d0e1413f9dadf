"""The imports, the crosswalks and the sync state moved to the app ``datain``: they leave this app's
state only. Their tables stay where they are, under their old names (datain 0001 takes them over)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('activity', '0005_job_heartbeat'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='importrun',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='sourceaccount',
                    name='account',
                ),
                migrations.RemoveField(
                    model_name='sourceowner',
                    name='person',
                ),
                migrations.DeleteModel(
                    name='SyncCursor',
                ),
                migrations.DeleteModel(
                    name='SyncRun',
                ),
                migrations.DeleteModel(
                    name='ImportRun',
                ),
                migrations.DeleteModel(
                    name='SourceAccount',
                ),
                migrations.DeleteModel(
                    name='SourceOwner',
                ),
            ],
            database_operations=[],
        ),
    ]
