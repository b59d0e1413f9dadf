from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from accounts import tokens
from accounts.models import Role, User, normalize_email
from core import dates
from core.text import name_problem


class Command(BaseCommand):
    help = (
        "Create (or show) the API token of an integration: a service account that may load data "
        "through the API and read nothing about people or reviews. Deactivate the account (Django "
        "admin) to stop its token at once. With --scope read: a new read-only token of a person, who "
        "reads through it what their pages show and changes nothing; it expires after API_TOKEN_DAYS "
        "and is shown this once. The token is the last line printed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--email",
            required=True,
            help="The integration's service account, e.g. crm-sync@example.com; with --scope read, "
            "the person's email.",
        )
        parser.add_argument("--name", default="", help="What the integration is, e.g. 'CRM nightly sync'")
        parser.add_argument(
            "--scope",
            choices=["ingest", "read"],
            default="ingest",
            help="ingest (default): an integration's token, which loads data; read: a person's "
            "read-only token.",
        )

    def handle(self, *args, email, name, scope, **options):
        if name and (problem := name_problem(name)):
            raise CommandError(f"--name {problem}.")
        if scope == "read":
            return self._read_token(email, name)
        user, created = User.objects.get_or_create(
            email=email.lower(), defaults={"name": name or email, "role": Role.SERVICE}
        )
        if created:
            user.set_unusable_password()
            user.save()
        elif user.role != Role.SERVICE:
            raise CommandError(
                f"{email} is a person ({user.get_role_display()}): integration tokens belong to service "
                "accounts. Choose an address of the integration's own, e.g. crm-sync@example.com, or "
                "give the person a read-only token with --scope read."
            )
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)

    def _read_token(self, email: str, name: str) -> None:
        person = User.objects.filter(email=normalize_email(email)).first()
        if person is None:
            raise CommandError(f"No person has the email {email}.")
        if person.role == Role.SERVICE:
            raise CommandError(
                f"{email} is an integration: it loads data and reads nothing. Read tokens are people's."
            )
        if not person.is_active:
            raise CommandError(f"{email} is deactivated: a token of theirs would not work.")
        token, key = tokens.issue(person=person, name=name or "Command line")
        expires = dates.day(token.expires_at)
        self.stdout.write(
            f"A read-only token of {person.name or person.email}, named {token.name!r}, expires on "
            f"{expires}. It is shown this once:"
        )
        self.stdout.write(key)
