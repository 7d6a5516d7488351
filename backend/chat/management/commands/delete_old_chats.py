"""Delete chat logs older than the retention period (CHAT_RETENTION_DAYS); run it daily."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from backend.chat.services import delete_old_conversations


class Command(BaseCommand):
    help = "Delete conversations (messages, feedback) older than CHAT_RETENTION_DAYS."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="override CHAT_RETENTION_DAYS")

    def handle(self, *args, days, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        deleted = delete_old_conversations(days)
        self.stdout.write(f"Deleted {deleted} conversation(s).")
