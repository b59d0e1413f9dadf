"""One small organisation, and every text a person reads in it: each page of the permission matrix
as each role, the API's error answers, the admin's pages, a few emails and a review PDF.

Built once per test module (``world`` below); ``everything_read`` renders it in the active catalogs
and the language given, so one function serves the pseudo-locale check and the four languages'.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser

from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from conftest import build_org
from datain.sources.mapping import shipped_mappings
from datain.sources.readers import SOURCES
from notifications import mail as notification_mail
from notifications import services as notification_services
from notifications.models import Kind, Notification
from reviews.models import Review
from tests.test_permission_matrix import CONTRIBUTOR, ROLES, TABLE, build_objects

# Machine-facing: SCIM answers an identity provider, the schema and favicon are files, the mail
# catcher is a developer's tool (404 everywhere here).
SKIPPED = {"api-schema", "favicon", "caught-mail", "caught-mail-detail"}
READ_ATTRIBUTES = {"title", "aria-label", "alt", "placeholder", "aria-description"}
# API answers with data only (names, numbers, dates, codes): their error answers are read, not these.
READ_API_200 = {"api-todos"}


@dataclass
class Text:
    where: str  # "csm: review-detail" or "email: cycle_opened (subject)"
    text: str
    language: str = ""  # a page's Content-Language


class Visible(HTMLParser):
    """The text a person reads on a page: text nodes outside scripts, styles and <code> (the literal
    names a person types: a CSV's columns, a setting), and the attributes
    a screen reader or a tooltip says (title, aria-label, alt, placeholder), and a button's value."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template", "code"):
            self.skip += 1
        values = dict(attrs)
        self.parts += [v for k, v in attrs if k in READ_ATTRIBUTES and v]
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template", "code"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> str:
    page = Visible()
    page.feed(html)
    return "\n".join(" ".join(p.split()) for p in page.parts)


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


# An API answer's codes and links, for programs: not words.
CODE_KEYS = {"kind", "url", "key", "code", "type", "status", "metric", "action"}


def json_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in CODE_KEYS for s in json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in json_strings(v)]
    return []


def all_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in all_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in all_strings(v)]
    return []


def build_world(media_root: str) -> dict:
    """The permission matrix's organisation and objects, every person reading ``language``."""
    from django.conf import settings

    settings.MEDIA_ROOT = media_root
    org = build_org()
    objects = build_objects(org)
    objects["users"] = {
        "csm": org.csm_a,
        "csm_other": org.csm_b,
        "manager": org.manager_a,
        "manager_other": org.manager_b,
        "hr": org.hr,
        "admin": org.admin,
    }
    return objects


PRODUCT_APPS = {"accounts", "activity", "datain", "kpis", "okrs", "reviews", "notifications"}


def data_words(objects: dict) -> set[str]:
    """What the pages show as it is stored: every text in the product's tables (names, titles, what
    people wrote, what an admin wrote in a review template; a stored English sentence too, until it
    is stored as a key and its parameters), every object as the admin names it, the time zones."""
    import zoneinfo

    from django.apps import apps
    from django.db import models

    texts = set(zoneinfo.available_timezones())
    for model in apps.get_models():
        if model._meta.app_label not in PRODUCT_APPS:
            continue
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for obj in model._default_manager.all():
            texts.add(str(obj))
            for name in fields:
                texts.update(all_strings(getattr(obj, name)))
    # Other applications' models in the admin's menu (Axes, allauth): their words are theirs.
    for model in apps.get_models():
        if model._meta.app_label not in PRODUCT_APPS | {"scim"}:
            texts |= {str(model._meta.verbose_name), str(model._meta.verbose_name_plural)}
            texts.add(str(apps.get_app_config(model._meta.app_label).verbose_name))
            texts |= {
                str(model._meta.verbose_name).capitalize(),
                str(model._meta.verbose_name_plural).capitalize(),
            }
    # Django's own admin words its Chinese catalog leaves in English (the pseudo-locale's language).
    texts |= {"Add link", "Change or view list link", "Model name"}
    # Names: the product's, the systems data comes from, the example mappings' own descriptions.
    texts |= {"CSM reviews & OKRs"} | {s.title for s in SOURCES.values()} | set(shipped_mappings().values())
    # Each language named in its own words on the language choice: never translated.
    from django.conf import settings

    texts |= {str(name) for _code, name in settings.LANGUAGES}
    return {t for t in texts if t and len(t) > 1}


def _get(client: Client, url: str, language: str):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


def _read(response, name: str) -> str:
    kind = response.get("Content-Type", "")
    if response.status_code in (301, 302, 304, 405) or not response.content:
        return ""
    if kind.startswith("application/pdf"):
        return pdf_text(response.content)
    if "json" in kind:
        if response.status_code == 200 and name not in READ_API_200:
            return ""
        return "\n".join(json_strings(json.loads(response.content)))
    if kind.startswith("text/html"):
        return visible_text(response.content.decode())
    return ""


# Every role of the permission matrix, the contributor (a colleague asked for review input) too.
EVERY_ROLE = (*ROLES, "contributor")


def person(objects: dict, role: str):
    return objects["contributor"] if role == "contributor" else objects["users"][role]


def expected(name: str, role: str) -> int:
    """The answer the permission matrix expects ``role`` to get from the page ``name``."""
    return CONTRIBUTOR[name] if role == "contributor" else TABLE[name][2][role]


def signed_in(objects: dict, roles: tuple[str, ...] = EVERY_ROLE) -> dict[str, Client]:
    """A client per role, signed in once (and reused for every page and language)."""
    clients = {}
    for role in roles:
        clients[role] = Client()
        if role != "anon":
            clients[role].force_login(person(objects, role))
    return clients


def page_visits(objects: dict, roles: tuple[str, ...] = EVERY_ROLE) -> list[tuple[str, str, str]]:
    """(role, url name, URL) of every page of the permission matrix each role may open (a 200), and
    of one refusal (401, 403, 404) of each kind per role, page and API (they say the same whatever
    the URL). Redirects and 405s have nothing to read."""
    visits = []
    for role in roles:
        refused = set()
        for name, (kwargs, query, _expected) in sorted(TABLE.items()):
            status = expected(name, role)
            if name in SKIPPED or name.startswith("scim:") or status in (302, 405):
                continue
            if status != 200:
                if (status, name.startswith("api-")) in refused:
                    continue
                refused.add((status, name.startswith("api-")))
            visits.append(
                (role, name, reverse(name, kwargs=kwargs(objects) if callable(kwargs) else kwargs) + query)
            )
    return visits


def pages(
    objects: dict,
    language: str,
    roles: tuple[str, ...] = EVERY_ROLE,
    clients: dict[str, Client] | None = None,
    visits: list[tuple[str, str, str]] | None = None,
) -> list[Text]:
    """Every page of the permission matrix as each role, the answers it gives them
    (``page_visits``), read in ``language``; ``clients`` and ``visits`` may be shared between
    languages."""
    clients = clients or signed_in(objects, roles)
    found = []
    for role, name, url in visits if visits is not None else page_visits(objects, roles):
        response = _get(clients[role], url, language)
        assert response.status_code == expected(name, role), (role, name, response.status_code)
        found.append(Text(f"{role}: {name}", _read(response, name), response.get("Content-Language", "")))
    return found


def api_errors(objects: dict, language: str) -> list[Text]:
    """The API's error details a person's script shows them: 400, 403, 404, 409."""
    csm, manager = objects["users"]["csm"], objects["users"]["manager"]
    review = objects["review"]
    client = Client()
    client.force_login(manager)
    answers = {
        "400 bad check-in": client.post(
            reverse("api-check-in-list"),
            {"key_result": objects["kr"].pk, "value": "lots", "confidence": 11},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        ),
        "400 bad objective": client.post(
            reverse("api-objective-list"), {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
        ),
        "409 stale transition": client.post(
            reverse("api-review-transition", args=[review.pk]),
            {"action": "submit", "version": review.version + 5},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        ),
        "404 someone else's": client.get(
            reverse("api-objective-detail", args=[10**6]), HTTP_ACCEPT_LANGUAGE=language
        ),
        "400 bad period": client.get(reverse("api-kpis") + "?period=someday", HTTP_ACCEPT_LANGUAGE=language),
    }
    client.force_login(csm)
    answers["403 not HR"] = client.get(reverse("api-cycle-list"), HTTP_ACCEPT_LANGUAGE=language)
    return [Text(f"api: {what}", _read(r, what)) for what, r in answers.items()]


def emails(objects: dict, language: str) -> list[Text]:
    """A few messages as the CSM receives them in ``language``: one notification, a reminder, the
    weekly digest."""
    csm = objects["users"]["csm"]
    notification_services.settings_save(person=csm, language=language, time_zone="UTC")
    stored = list(Notification.objects.filter(recipient=csm))
    found = []
    for kind, digest in (
        (Kind.REVIEW_SUBMITTED, False),
        (Kind.REMINDER_SELF_REVIEW, False),
        (Kind.REVIEW_SUBMITTED, True),
    ):
        message = notification_mail.build(csm, kind, stored, digest=digest)
        html = message.alternatives[0][0]
        found.append(Text(f"email: {kind}{' digest' if digest else ''} (subject)", message.subject))
        found.append(Text(f"email: {kind}{' digest' if digest else ''} (text)", message.body))
        found.append(Text(f"email: {kind}{' digest' if digest else ''} (html)", visible_text(html)))
    return found


def review_pdf(objects: dict, language: str) -> list[Text]:
    from reviews.output.pdf import review_pdf as render

    review = Review.objects.get(pk=objects["review"].pk)
    with translation.override(language):
        return [Text("pdf: review", pdf_text(render(review, viewer=objects["users"]["hr"])))]


def two_factor_pages(objects: dict, language: str) -> list[Text]:
    """The sign-in steps the matrix only sees as redirects: setting up the authenticator app after a
    password sign-in, the code asked after the password, and (signed in with it) the pages of
    managing two-factor and the downloaded recovery codes. Last: it turns HR's two-factor on."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from tests.factories import DEFAULT_PASSWORD

    hr = objects["users"]["hr"]
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    with override_settings(MFA_REQUIRED=True):  # HR sets it up at the next password sign-in
        client.post(reverse("login"), {"username": hr.email, "password": DEFAULT_PASSWORD})
        found = [Text("hr: mfa_activate_totp", _read(client.get(reverse("mfa_activate_totp")), "mfa"))]
    client.post(reverse("logout"))
    TOTP.activate(hr, generate_totp_secret())
    recovery = RecoveryCodes.activate(hr).get_unused_codes()
    client.post(reverse("login"), {"username": hr.email, "password": DEFAULT_PASSWORD})
    found.append(Text("hr: mfa_authenticate", _read(client.get(reverse("mfa_authenticate")), "mfa")))
    # Signed in (a recovery code for the phone), then the pages of managing two-factor: the
    # password asked again first, as before any change to how one signs in.
    client.post(reverse("mfa_authenticate"), {"code": recovery[0]})
    found.append(Text("hr: account_reauthenticate", _read(client.get(reverse("account_reauthenticate")), "")))
    client.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD})
    codes = re.compile("|".join(recovery))  # data: the codes themselves
    for name in TWO_FACTOR_PAGES:
        found.append(Text(f"hr: {name}", codes.sub(" ", _read(client.get(reverse(name)), "mfa"))))
    download = client.get(reverse("mfa_download_recovery_codes"))
    assert download.status_code == 200
    found.append(Text("hr: mfa_download_recovery_codes", codes.sub(" ", download.content.decode())))
    return found


# The pages of managing two-factor, once signed in with it.
TWO_FACTOR_PAGES = (
    "mfa_index",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_deactivate_totp",
    "mfa_reauthenticate",
)


# The admin's pages where its product-specific labels show: a list and an object's page of the models
# with the most fields (a review, an objective, a key result, an import, a notification), as the admin.
ADMIN_MODELS = (
    "reviews.review",
    "okrs.objective",
    "okrs.keyresult",
    "datain.importrun",
    "notifications.notification",
)
# Django's admin writes these itself, untranslated: the search icon's text, a yes/no icon's.
ADMIN_OWN = re.compile(r'alt="(?:Search|True|False)"')


def _is_json(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict | list)
    except ValueError:
        return False


def admin_pages(objects: dict, language: str) -> list[Text]:
    """A list and an object's page of each of ADMIN_MODELS; what a field holds as JSON (a review's
    frozen results) is data, shown as it is stored."""
    from django.apps import apps

    client = Client()
    client.force_login(objects["users"]["admin"])
    found = []
    for label in ADMIN_MODELS:
        model = apps.get_model(label)
        app, name = model._meta.app_label, model._meta.model_name
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, label
        for view, args in (("changelist", []), ("change", [obj.pk])):
            response = _get(client, reverse(f"admin:{app}_{name}_{view}", args=args), language)
            assert response.status_code == 200, (label, view)
            html = ADMIN_OWN.sub("", response.content.decode())
            lines = [line for line in visible_text(html).splitlines() if not _is_json(line)]
            found.append(Text(f"admin: {app}.{name} {view}", "\n".join(lines)))
    return found


def everything_read(objects: dict, language: str) -> list[Text]:
    return (
        pages(objects, language)
        + api_errors(objects, language)
        + emails(objects, language)
        + review_pdf(objects, language)
        + two_factor_pages(objects, language)
    )


def flush() -> None:
    call_command("flush", interactive=False, verbosity=0)
