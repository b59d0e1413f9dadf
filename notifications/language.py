"""The language a person reads everything in: the one they chose on "Your preferences"
(``PersonSettings.language``), else their browser's (``Accept-Language``, Django's LocaleMiddleware),
else English (``LANGUAGE_CODE``). Pages, emails, PDFs and the API's error details alike.

The middleware replaces the browser's language once the person is known from their session; a call
to the API with a token is authenticated inside the view (DRF), so the token's authentication switches
to the person's language as soon as it knows them, before any error detail is written.
"""

from __future__ import annotations

from django.utils import translation

from accounts import tokens
from accounts.models import User
from notifications import services


def chosen_language(person: User) -> str:
    """The language the person chose (one of ``LANGUAGES``), or "" when they left it to the browser."""
    code = services.settings_of(person).language
    if not code:
        return ""
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:  # a language no longer offered: the browser's then
        return ""


def speak_to(person: User, request=None) -> None:
    """Switch the active language to the person's choice, if they made one."""
    code = chosen_language(person)
    if code:
        translation.activate(code)
        if request is not None:
            request.LANGUAGE_CODE = code


class PersonLanguageMiddleware:
    """After the authentication middleware: a signed-in person's choice wins over their browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            speak_to(user, request)
        return self.get_response(request)


class TokenAuthentication(tokens.TokenAuthentication):
    """``Authorization: Token <key>`` (accounts.tokens), answering in the token's person's language
    from the moment the key is recognised (the read-only refusal included)."""

    def authenticate_credentials(self, key):
        person, token = super().authenticate_credentials(key)
        speak_to(person)
        return person, token
