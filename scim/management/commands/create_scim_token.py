from django.core.management.base import BaseCommand, CommandError

from core.text import name_problem
from scim import tokens


class Command(BaseCommand):
    help = (
        "Create a bearer token for the identity provider's provisioning (SCIM 2.0 at /scim/v2/): it "
        "creates, updates and deactivates people and teams, and opens nothing else. It is stored as "
        "a digest and shown this once, on the last line printed. Revoke it in the Django admin "
        "(Provisioning tokens)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", default="Identity provider", help="Whose it is, e.g. 'Okta'")

    def handle(self, *args, name, **options):
        if problem := name_problem(name):
            raise CommandError(f"--name {problem}.")
        token, key = tokens.issue(name=name)
        self.stdout.write(
            f"A provisioning token named {token.name!r}. Give the identity provider the base URL "
            "https://<this site>/scim/v2 and this token; it is shown this once:"
        )
        self.stdout.write(key)
