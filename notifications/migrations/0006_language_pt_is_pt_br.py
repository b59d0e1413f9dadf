"""Portuguese is Brazilian Portuguese (Django's "pt-br"): a stored "pt" becomes "pt-br"."""

from django.db import migrations, models


def pt_to_pt_br(apps, schema_editor):
    apps.get_model("notifications", "PersonSettings").objects.filter(language="pt").update(language="pt-br")


def pt_br_to_pt(apps, schema_editor):
    apps.get_model("notifications", "PersonSettings").objects.filter(language="pt-br").update(language="pt")


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_input_notification_kinds"),
    ]

    operations = [
        migrations.AlterField(
            model_name="personsettings",
            name="language",
            field=models.CharField(
                blank=True,
                choices=[
                    ("en", "English"),
                    ("es", "Español"),
                    ("pt-br", "Português (Brasil)"),
                    ("zh-hans", "简体中文"),
                    ("tr", "Türkçe"),
                ],
                max_length=10,
                verbose_name="language",
            ),
        ),
        migrations.RunPython(pt_to_pt_br, pt_br_to_pt),
    ]
