"""Create the relying party's client and the provider's people (JSON on stdin), then exit."""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_idp.settings")
django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from allauth.idp.oidc.models import Client  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402

spec = json.load(sys.stdin)
client = Client(id=spec["client_id"], name="CSM reviews", skip_consent=True)
client.set_secret(spec["client_secret"])
client.set_scopes(["openid", "profile", "email"])
client.set_redirect_uris(spec["redirect_uris"])
client.save()
for n, person in enumerate(spec["people"]):
    user = User.objects.create_user(username=f"person{n}", email=person["email"], password=spec["password"])
    EmailAddress.objects.create(
        user=user, email=person["email"], verified=person.get("verified", True), primary=True
    )
print("seeded")
