"""The admin's permissions selector (a person's page, a group's page) lists Django's permissions in
the reader's language, not as ``auth_permission`` stores them (English: "Can add person")."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import translation

from accounts.permission_names import permission_label, permission_name
from reviews.models import Review
from tests.factories import AdminFactory, CsmFactory

ENGLISH = re.compile(r"\bCan (add|change|delete|view)\b")


def _options(html: str, name: str) -> list[str]:
    """The options' words of the select named ``name``."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return [" ".join(o.split()) for o in re.findall(r"<option [^>]*>(.*?)</option>", select.group(1), re.S)]


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


@pytest.mark.django_db
def test_a_persons_page_lists_the_permissions_in_spanish(admin_client):
    person = CsmFactory()
    url = reverse("admin:accounts_user_change", args=[person.pk])
    html = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    options = _options(html, "user_permissions")
    assert "Personas y cartera de cuentas | persona | Puede añadir persona" in options
    assert "Evaluaciones | evaluación | Puede ver evaluación" in options
    assert not ENGLISH.search(html)


@pytest.mark.django_db
def test_a_groups_page_lists_the_permissions_in_chinese(admin_client):
    group = Group.objects.create(name="HR partners")
    group.permissions.add(Permission.objects.get(codename="change_review"))
    url = reverse("admin:auth_group_change", args=[group.pk])
    html = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    chosen = re.search(r'<option value="\d+" selected>(.*?)</option>', html).group(1)
    assert chosen == "绩效评估 | 绩效评估 | 可以修改绩效评估"
    assert "人员与客户组合 | 人员 | 可以删除人员" in _options(html, "permissions")
    assert not ENGLISH.search(html)


@pytest.mark.django_db
def test_a_models_own_permission_is_read_from_the_catalogs(monkeypatch):
    # No model of the product declares permissions of its own (Meta.permissions) yet: one that did
    # would name them with a marked sentence, looked up when the list is read.
    monkeypatch.setattr(
        Review._meta, "permissions", [("calibrate_review", "Only a submitted review is calibrated.")]
    )
    permission = Permission(
        codename="calibrate_review",
        name="Only a submitted review is calibrated.",
        content_type=ContentType.objects.get_for_model(Review),
    )
    with translation.override("es"):
        assert permission_name(permission) == "Solo se calibra una evaluación enviada."


@pytest.mark.django_db
def test_a_permission_of_a_model_that_is_gone_shows_as_stored():
    gone = ContentType.objects.create(app_label="reviews", model="oldthing")
    permission = Permission.objects.create(
        codename="add_oldthing", name="Can add old thing", content_type=gone
    )
    with translation.override("es"):
        assert permission_name(permission) == "Can add old thing"
        assert permission_label(permission) == "oldthing | Can add old thing"
