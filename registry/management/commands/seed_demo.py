from django.core.management.base import BaseCommand

from registry import demo
from registry.models import Project


class Command(BaseCommand):
    help = "Load the reference example (split_zoo_dataset -> rural-feather-20 -> ...). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Only load into a database with no projects."
        )

    def handle(self, *args, if_empty=False, **options):
        if if_empty and Project.objects.exists():
            self.stdout.write("The database has data already; demo not loaded.")
            return
        self.stdout.write(demo.load())
