"""The templates written before their translations existed are the English ones (the default
language's columns of reviews/translation.py); no language has a translation yet."""

from django.db import migrations
from django.db.models import F

FIELDS = ("sections", "rating_scale", "input_questions")


def forwards(apps, schema_editor):
    ReviewTemplate = apps.get_model("reviews", "ReviewTemplate")
    ReviewTemplate.objects.update(**{f"{name}_en": F(name) for name in FIELDS})


def backwards(apps, schema_editor):
    ReviewTemplate = apps.get_model("reviews", "ReviewTemplate")
    ReviewTemplate.objects.update(**{name: F(f"{name}_en") for name in FIELDS})


class Migration(migrations.Migration):
    dependencies = [("reviews", "0012_review_template_translations")]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
