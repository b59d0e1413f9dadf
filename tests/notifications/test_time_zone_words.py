"""The preferences list time zones by their place in the reader's words, never by their code."""

from django.urls import reverse

from accounts.models import User
from notifications.forms import PreferencesForm


def test_the_time_zones_read_as_places_in_the_readers_language(client, org):
    client.force_login(org.csm_a)
    page = client.get(reverse("notification-preferences"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<option value="America/Los_Angeles">hora de Estados Unidos (Los Ángeles)</option>' in page
    assert ">America/Los_Angeles<" not in page and "Buenos_Aires<" not in page
    # Istanbul is one place with two codes: listed once; whoever chose the other code sees it chosen.
    assert page.count(">hora de Turquía<") == 1
    User.objects.filter(pk=org.csm_a.pk).update(time_zone="Europe/Istanbul")
    page = client.get(reverse("notification-preferences"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<option value="Europe/Istanbul" selected>hora de Turquía</option>' in page
    assert page.count(">hora de Turquía<") == 1
    # A zone CLDR does not place yet would read "Región desconocida": not listed, still accepted.
    assert "America/Coyhaique" not in page and "desconocida" not in page


def test_every_zone_is_still_accepted_and_a_made_up_one_is_not():
    for zone, valid in (
        ("Asia/Istanbul", True),
        ("Europe/Istanbul", True),
        ("US/Pacific", True),
        ("America/Coyhaique", True),
        ("Mars/Olympus", False),
    ):
        form = PreferencesForm(data={"language": "", "time_zone": zone}, kinds=[])
        assert form.is_valid() is valid, zone
