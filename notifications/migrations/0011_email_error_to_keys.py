"""A notification stored why its email could not be sent as an English sentence around the mail
library's or server's own text: recognised, it becomes its key and that text as ``detail``
(core.said), said in the reader's language when read. Any other text stays as it was."""

import re

from django.db import migrations

PATTERNS = [
    (r"the mail library refuses the message: (.*)", "notifications.mail_library_refuses"),
    (r"the mail server refuses the address: (.*)", "notifications.server_refuses_address"),
]


def recognise(text):
    for pattern, key in PATTERNS:
        if found := re.fullmatch(pattern, text, flags=re.S):
            return key, {"detail": found[1]}
    return None


def forwards(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    for notification in Notification.objects.exclude(email_error="").iterator(chunk_size=1000):
        known = recognise(notification.email_error)
        if known:
            notification.email_error, notification.email_error_params = known
            notification.save(update_fields=["email_error", "email_error_params"])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0010_email_error_as_key")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
