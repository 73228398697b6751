from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registry.models import ApiKey


class Command(BaseCommand):
    help = "Create an API key for USERNAME and print it (the key is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="A label to tell keys apart.")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        _, raw = ApiKey.create_for(user, name=name)
        self.stdout.write(f"API key for {username} (shown once, keep it safe):")
        self.stdout.write(raw)
