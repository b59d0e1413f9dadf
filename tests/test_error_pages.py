"""The product's own error pages, in the site's frame, and DEBUG off where people use it."""

import os
import subprocess
import sys
from pathlib import Path

from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent


def test_make_run_serves_with_debug_off_unless_asked():
    def debug(extra):
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_DEBUG"} | extra
        env["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
        result = subprocess.run(
            [sys.executable, "-c", "from django.conf import settings; print(settings.DEBUG)"],
            cwd=ROOT,
            check=False,
            env=env,
            capture_output=True,
            text=True,
        )
        return result.stdout.strip()

    assert debug({}) == "False"
    assert debug({"DJANGO_DEBUG": "1"}) == "True"


def test_someone_elses_scorecard_is_a_styled_404_without_the_url_list(client, org):
    client.force_login(org.csm_a)
    response = client.get(reverse("scorecard", args=[org.csm_b.pk]))
    page = response.content.decode()
    assert response.status_code == 404
    assert "We could not find this page" in page and 'class="top"' in page
    assert "URLconf" not in page and "urlpatterns" not in page


def test_a_page_not_for_the_role_is_a_styled_403(client, org):
    client.force_login(org.csm_a)
    response = client.get(reverse("import-list"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "This page is not for your role" in page and 'class="top"' in page


def test_an_expired_form_is_a_styled_403(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.csm_a)
    response = client.post(reverse("okrs-close"), {"period": "2026-Q3"})
    assert response.status_code == 403
    assert "Your form has expired" in response.content.decode()


def test_the_500_page_needs_no_context():
    page = render_to_string("500.html")
    assert "Something went wrong on our side" in page and "Traceback" not in page


def test_the_500_page_speaks_the_visitors_language():
    """Django renders 500.html with no context, but in the language LocaleMiddleware chose."""
    with translation.override("es"):
        page = render_to_string("500.html")
    assert '<html lang="es">' in page
    assert "Algo salió mal por nuestra parte" in page
    assert "Volver a tu página de inicio" in page
    assert "Something went wrong" not in page
