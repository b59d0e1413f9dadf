"""What admins write that people read, with a translation per language (django-modeltranslation):
a review template's sections, rating scale and questions to colleagues. Each is a list; its
translation in a language is the same list (same keys, same values) with that language's words,
shown to a reader of it; a language without one (its column empty) reads the template as written
(English, ``MODELTRANSLATION_DEFAULT_LANGUAGE``)."""

from typing import Any

from django.conf import settings
from modeltranslation.translator import TranslationOptions, register
from modeltranslation.utils import build_localized_fieldname

from reviews.models import ReviewTemplate

TRANSLATED = ("sections", "rating_scale", "input_questions")


@register(ReviewTemplate)
class ReviewTemplateTranslation(TranslationOptions):
    fields = TRANSLATED


# A translation starts empty (null), never as a copy of the defaults in English: an empty one reads
# the template as written, so an edit of the English shows at once in every language not translated.
for _field in TRANSLATED:
    for _language in settings.MODELTRANSLATION_LANGUAGES:
        if _language != settings.MODELTRANSLATION_DEFAULT_LANGUAGE:
            _translation: Any = ReviewTemplate._meta.get_field(build_localized_fieldname(_field, _language))
            _translation.default = None
            _translation._field_options_kwargs = {"default": None}  # and so in its migration
