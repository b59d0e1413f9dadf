"""The time zone of a person's emails becomes the person's own (``User.time_zone``, the one of the
pages): a zone chosen only for emails is kept on the person, then the duplicate column goes."""

from django.db import migrations


def keep_chosen_zones(apps, schema_editor):
    PersonSettings = apps.get_model("notifications", "PersonSettings")
    User = apps.get_model("accounts", "User")
    for person_id, zone in PersonSettings.objects.exclude(time_zone="").values_list("person_id", "time_zone"):
        User.objects.filter(pk=person_id, time_zone="").update(time_zone=zone)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("accounts", "0005_user_time_zone"),
    ]

    operations = [
        migrations.RunPython(keep_chosen_zones, migrations.RunPython.noop),
        migrations.RemoveField(model_name="personsettings", name="time_zone"),
    ]
