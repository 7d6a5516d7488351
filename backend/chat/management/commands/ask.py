"""Ask a question from the terminal, through exactly the path the chat API takes."""

from __future__ import annotations

import asyncio
import json
import uuid

from django.core.management.base import BaseCommand, CommandError

from backend.chat.management.commands.search import open_vector_store
from backend.chat.services import ChatError, answer_events, collect_answer, start_turn


class Command(BaseCommand):
    help = "Answer a question like the chat widget would, and log it as a conversation."

    def add_arguments(self, parser):
        parser.add_argument("question")
        parser.add_argument("--conversation", help="continue this conversation (its id)")
        parser.add_argument("--language", choices=["de", "en"], default="")
        parser.add_argument(
            "--source", type=int, action="append", default=[], help="only this source id"
        )
        parser.add_argument(
            "--json",
            dest="as_json",
            action="store_true",
            help="print the answer as one JSON object",
        )

    def handle(self, *args, question, conversation, language, source, as_json, **options):
        try:
            conversation_id = uuid.UUID(conversation) if conversation else None
        except ValueError:
            raise CommandError(f"{conversation!r} is not a conversation id.") from None
        open_vector_store()
        try:
            asyncio.run(self._ask(question, conversation_id, language, source, as_json))
        except ChatError as error:
            raise CommandError(error.message) from None

    async def _ask(self, question, conversation_id, language, sources, as_json) -> None:
        turn = await start_turn(
            question,
            conversation_id=conversation_id,
            language=language,
            source_ids=sources,
            client="cli",
        )
        events = answer_events(turn)
        if as_json:
            result = await collect_answer(events)
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        async for event in events:
            if event.kind == "token":
                self.stdout.write(event.data["text"], ending="")
                self.stdout.flush()
            elif event.kind == "sources":
                self.stdout.write("")
                for source in event.data:
                    page = f", p. {source['page']}" if source["page"] else ""
                    self.stdout.write(f"[{source['n']}] {source['title']} {source['url']}{page}")
            elif event.kind == "error":
                self.stderr.write(self.style.ERROR(f"\n{event.data['message']}"))
            elif event.kind == "done":
                self.stdout.write(
                    self.style.HTTP_INFO(
                        f"({event.data['outcome']}; conversation {event.data['conversation_id']};"
                        f" {event.data['timings']})"
                    )
                )
