from django.core.management.base import BaseCommand

from backend.ops.roles import ensure_roles


class Command(BaseCommand):
    help = "Create or complete the Viewers, Editors, Supporters and Administrators groups (safe to run again)."

    def handle(self, *args, **options):
        groups = ensure_roles()
        counts = "; ".join(
            f"{group.name}: {group.permissions.count()} permissions" for group in groups
        )
        self.stdout.write(
            f"{counts}. Give a staff user one of these groups in Authentication → Users; the "
            "admin and the API check the same permissions."
        )
