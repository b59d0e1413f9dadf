"""What a cycle was opened despite is kept as a code (``reviews.wording.NOT_STARTED``, ``NO_RUN``),
put into words in the reader's language when shown: the sentence stored before is recognised in any
of the product's languages and turned into its code; one it does not recognise stays as written."""

from django.conf import settings
from django.db import migrations
from django.utils import translation


def forwards(apps, schema_editor):
    from reviews.wording import NO_RUN, NOT_STARTED, opening_warning_words

    ReviewCycle = apps.get_model("reviews", "ReviewCycle")
    languages = ["en", *(code for code, _name in settings.LANGUAGES if code != "en")]
    for cycle in ReviewCycle.objects.exclude(opened_despite="").exclude(
        opened_despite__in=[NOT_STARTED, NO_RUN]
    ):
        for language in languages:
            with translation.override(language):
                found = next(
                    (
                        c
                        for c in (NOT_STARTED, NO_RUN)
                        if opening_warning_words(cycle, c) == cycle.opened_despite
                    ),
                    None,
                )
            if found:
                cycle.opened_despite = found
                cycle.save(update_fields=["opened_despite"])
                break


def backwards(apps, schema_editor):
    from reviews.wording import NO_RUN, NOT_STARTED, opening_warning_words

    ReviewCycle = apps.get_model("reviews", "ReviewCycle")
    with translation.override(settings.LANGUAGE_CODE):
        for cycle in ReviewCycle.objects.filter(opened_despite__in=[NOT_STARTED, NO_RUN]):
            cycle.opened_despite = opening_warning_words(cycle, cycle.opened_despite)
            cycle.save(update_fields=["opened_despite"])


class Migration(migrations.Migration):
    dependencies = [("reviews", "0010_snapshot_words_to_keys")]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
