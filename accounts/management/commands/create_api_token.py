from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from accounts.models import Role, User
from core.text import name_problem


class Command(BaseCommand):
    help = (
        "Create (or show) the API token of an integration: a service account that may load data "
        "through the API and read nothing about people or reviews. Deactivate the account (Django "
        "admin) to stop its token at once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--email", required=True, help="The integration's service account, e.g. crm-sync@example.com"
        )
        parser.add_argument("--name", default="", help="What the integration is, e.g. 'CRM nightly sync'")

    def handle(self, *args, email, name, **options):
        if name and (problem := name_problem(name)):
            raise CommandError(f"--name {problem}.")
        user, created = User.objects.get_or_create(
            email=email.lower(), defaults={"name": name or email, "role": Role.SERVICE}
        )
        if created:
            user.set_unusable_password()
            user.save()
        elif user.role != Role.SERVICE:
            raise CommandError(
                f"{email} is a person ({user.get_role_display()}): integration tokens belong to service "
                "accounts. Choose an address of the integration's own, e.g. crm-sync@example.com."
            )
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
