"""Conversations for editors: filters for what went wrong, the whole thread, CSV export."""

from __future__ import annotations

import csv

from django.contrib import admin
from django.db.models import Count, Exists, OuterRef, Q
from django.http import StreamingHttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from backend.chat.models import ChatTexts, Conversation, Feedback, Message
from backend.knowledge.selectors import entry_form_url

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"): =HYPERLINK(...) leaks data, DDE runs commands.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A CSV cell a spreadsheet shows as text: visitors write the messages."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    max_num = 0
    fields = (
        "role", "text", "outcome", "cited_sources", "visitor_feedback", "timings", "created_at",
        "write_entry",
    )  # fmt: skip
    readonly_fields = fields
    ordering = ("id",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("feedback")

    @admin.display(description=_("feedback"))
    def visitor_feedback(self, obj: Message):
        """A rated answer's vote, with the visitor's comment (what a thumbs-down missed)."""
        return format_html_join(
            "",
            '<div class="visitor-feedback">{} {}{}</div>',
            (
                (
                    "👎" if feedback.rating == Feedback.Rating.DOWN else "👍",
                    feedback.get_rating_display(),
                    format_html(": „{}“", feedback.comment) if feedback.comment.strip() else "",
                )
                for feedback in obj.feedback.all()
            ),
        )

    @admin.display(description=_("knowledge entry"))
    def write_entry(self, obj: Message):
        if obj.role != Message.Role.USER:
            return ""
        # the thumbs-down of the answer to it, shown with its comment on the entry's form
        answers = Message.objects.filter(
            conversation_id=obj.conversation_id, role=Message.Role.ASSISTANT, id__gt=obj.pk
        )
        next_question = (
            Message.objects.filter(
                conversation_id=obj.conversation_id, role=Message.Role.USER, id__gt=obj.pk
            )
            .order_by("id")
            .values_list("id", flat=True)
            .first()
        )
        if next_question is not None:
            answers = answers.filter(id__lt=next_question)
        down = (
            Feedback.objects.filter(message__in=answers, rating=Feedback.Rating.DOWN)
            .values_list("pk", flat=True)
            .first()
        )
        url = entry_form_url(obj.text, obj.conversation.language, down)
        return format_html('<a class="write-entry" href="{}">{}</a>', url, _("Write the answer"))

    @admin.display(description=_("sources"))
    def cited_sources(self, obj: Message):
        return format_html_join(
            "",
            '<div>[{}] <a href="{}" rel="noopener noreferrer" target="_blank">{}</a>{}</div>',
            (
                (
                    source.get("n", "?"),
                    source.get("url", ""),
                    source.get("title") or source.get("url", ""),
                    format_html(" (S. {})", source["page"]) if source.get("page") else "",
                )
                for source in obj.sources or []
                if isinstance(source, dict)
            ),
        )


class OutcomeFilter(admin.SimpleListFilter):
    title = _("outcome")
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return [
            ("unanswered", _("not answered by the site")),
            ("error", _("errors and interruptions")),
            ("thumbs_down", _("rated not helpful")),
            ("thumbs_up", _("rated helpful")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "unanswered":
            return queryset.filter(messages__outcome=Message.Outcome.UNANSWERED).distinct()
        if value == "error":
            return queryset.filter(
                messages__outcome__in=[Message.Outcome.ERROR, Message.Outcome.INTERRUPTED]
            ).distinct()
        if value in ("thumbs_down", "thumbs_up"):
            rating = Feedback.Rating.DOWN if value == "thumbs_down" else Feedback.Rating.UP
            return queryset.filter(
                Exists(Feedback.objects.filter(message__conversation=OuterRef("pk"), rating=rating))
            )
        return queryset


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("first_question", "created_at", "language", "message_count", "outcomes")
    list_filter = (OutcomeFilter, "language", "created_at", "sources")
    search_fields = ("id", "messages__text")
    readonly_fields = ("id", "created_at", "language", "client_hash", "origin", "sources")
    inlines = [MessageInline]
    actions = ["export_csv"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _messages=Count("messages", distinct=True),
                _unanswered=Count(
                    "messages",
                    filter=Q(messages__outcome=Message.Outcome.UNANSWERED),
                    distinct=True,
                ),
            )
        )

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("first question"))
    def first_question(self, obj: Conversation) -> str:
        first = obj.messages.filter(role=Message.Role.USER).order_by("id").first()
        return (first.text[:100] if first else "") or str(obj.id)

    @admin.display(description=_("messages"), ordering="_messages")
    def message_count(self, obj: Conversation) -> int:
        return obj._messages

    @admin.display(description=_("not answered"), ordering="_unanswered")
    def outcomes(self, obj: Conversation) -> int:
        return obj._unanswered

    @admin.action(description=_("Export as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        """One row per message of the selected conversations (the visible filters apply)."""
        messages = (
            Message.objects.filter(conversation__in=queryset)
            .order_by("conversation__created_at", "conversation_id", "id")
            .annotate(
                up=Count("feedback", filter=Q(feedback__rating=Feedback.Rating.UP)),
                down=Count("feedback", filter=Q(feedback__rating=Feedback.Rating.DOWN)),
            )
        )

        class Echo:
            def write(self, value):
                return value

        writer = csv.writer(Echo())
        header = [
            "conversation", "started", "language", "message", "role", "sent", "text",
            "outcome", "sources", "retrieval_ms", "first_token_ms", "total_ms",
            "helpful", "not_helpful",
        ]  # fmt: skip

        def rows():
            yield writer.writerow(header)
            for message in messages.select_related("conversation").iterator(chunk_size=500):
                timings = message.timings or {}
                yield writer.writerow(
                    spreadsheet_safe(cell)
                    for cell in [
                        message.conversation_id,
                        message.conversation.created_at.isoformat(),
                        message.conversation.language,
                        message.pk,
                        message.role,
                        message.created_at.isoformat(),
                        message.text,
                        message.outcome,
                        " ".join(
                            s.get("url", "") for s in message.sources or [] if isinstance(s, dict)
                        ),
                        timings.get("retrieval_ms", ""),
                        timings.get("first_token_ms", ""),
                        timings.get("total_ms", ""),
                        message.up,
                        message.down,
                    ]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="lotse-conversations.csv"'
        return response


class FeedbackInline(admin.TabularInline):
    model = Feedback
    extra = 0
    can_delete = False
    max_num = 0
    fields = ("rating", "comment", "created_at")
    readonly_fields = fields


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    inlines = [FeedbackInline]
    list_display = ("__str__", "role", "outcome", "model", "conversation", "created_at")
    list_filter = ("role", "outcome", "error", "model", "created_at")
    search_fields = ("text",)
    readonly_fields = [field.name for field in Message._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("__str__", "rating", "message", "created_at", "write_entry")
    list_filter = ("rating", "created_at")
    search_fields = ("comment", "message__text")
    readonly_fields = ("message", "rating", "comment", "created_at", "write_entry")
    list_select_related = ("message__conversation",)

    @admin.display(description=_("knowledge entry"))
    def write_entry(self, obj: Feedback):
        """The question the rated answer answered, as a new entry (a thumbs-down's comment
        often says what was missing)."""
        question = (
            Message.objects.filter(
                conversation_id=obj.message.conversation_id,
                role=Message.Role.USER,
                id__lt=obj.message_id,
            )
            .order_by("-id")
            .values_list("text", flat=True)
            .first()
        )
        if not question:
            return ""
        url = entry_form_url(question, obj.message.conversation.language, obj.pk)
        return format_html('<a class="write-entry" href="{}">{}</a>', url, _("Write the answer"))

    def has_add_permission(self, request):
        return False


@admin.register(ChatTexts)
class ChatTextsAdmin(admin.ModelAdmin):
    """Greeting, suggested questions, "I don't know" and the system prompt, per language."""

    list_display = ("__str__", "greeting", "updated_at")
    fields = ("language", "greeting", "suggested_questions", "dont_know", "system_prompt")

    def get_form(self, request, obj=None, **kwargs):
        # the defaults as placeholders: editors see what an empty field means
        from rag.answer.prompt import DEFAULT_SYSTEM_PROMPTS
        from rag.answer.texts import DONT_KNOW, GREETING

        form = super().get_form(request, obj, **kwargs)
        language = obj.language if obj else "de"
        defaults = {
            "greeting": GREETING.get(language, ""),
            "dont_know": DONT_KNOW.get(language, ""),
            "system_prompt": DEFAULT_SYSTEM_PROMPTS.get(language, ""),
        }
        for name, default in defaults.items():
            form.base_fields[name].widget.attrs["placeholder"] = default
        return form
