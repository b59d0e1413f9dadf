"""A refused sign-in stored why as an English sentence: each one recognised becomes its key and
parameters (core.said, accounts.signins), said in the reader's language when read (the admin's
Sign-ins log). Any other text stays as it was."""

import re

from django.db import migrations

FIXED = {
    "Locked out after repeated failed logins.": "accounts.locked_out",
    "Wrong email or password.": "accounts.wrong_login",
    "Wrong two-factor code.": "accounts.wrong_code",
    "This organisation signs in through its identity provider: use the sign-in button above.": "accounts.sso_only",
    "Your identity provider did not confirm your email address, so we cannot tell who you are.": (
        "accounts.no_verified_email"
    ),
    "Your account here is deactivated. Ask HR or CS ops if this is a mistake.": "accounts.deactivated",
    "An integration's account cannot sign in.": "accounts.integration",
}


def recognise(text):
    if text in FIXED:
        return FIXED[text], {}
    if found := re.fullmatch(
        r"Nobody here has the email address (.+)\. Ask HR or CS ops to add you, then sign in again\.", text
    ):
        return "accounts.nobody_with_email", {"email": found[1]}
    if found := re.fullmatch(r"The identity provider's answer could not be verified \((.*)\)\.", text, flags=re.S):
        return "accounts.answer_not_verified", {"error": "" if found[1] == "unknown error" else found[1]}
    return None


def forwards(apps, schema_editor):
    SignIn = apps.get_model("accounts", "SignIn")
    for entry in SignIn.objects.exclude(reason="").iterator(chunk_size=1000):
        known = recognise(entry.reason)
        if known:
            entry.reason, entry.reason_params = known
            entry.save(update_fields=["reason", "reason_params"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0012_signin_reason_as_key")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
