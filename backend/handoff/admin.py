"""Hand-offs and their tickets for supporters and editors; opening hours, holidays and the
delivery settings for editors and administrators (roles: backend/ops/roles.py)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from backend.chat.models import Message
from backend.handoff.models import (
    DeliveryAttempt,
    HandOff,
    HandOffSettings,
    Holiday,
    LiveMessage,
    OpeningHours,
)
from backend.handoff.services import resend


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    max_num = 0
    fields = ("at", "channel", "ok", "status_code", "error", "final")
    readonly_fields = fields


class LiveMessageInline(admin.TabularInline):
    """A live chat's lines, as text; whoever may see the hand-off sees them."""

    model = LiveMessage
    extra = 0
    can_delete = False
    max_num = 0
    fields = ("at", "sender", "author", "text")
    readonly_fields = fields
    verbose_name_plural = _("live chat")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("handoff.view_handoff")


@admin.register(HandOff)
class HandOffAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "status",
        "channel",
        "name",
        "email",
        "phone",
        "ticket_reference",
        "attempt_count",
    )
    list_filter = ("status", "kind", "channel", "reason")
    search_fields = ("name", "email", "phone", "message", "ticket_reference")
    inlines = [LiveMessageInline, DeliveryAttemptInline]
    actions = ["send_again"]
    fields = (
        "kind",
        "status",
        "reason",
        "language",
        "name",
        "email",
        "phone",
        "message",
        "consent_given",
        "consent_text",
        "channel",
        "ticket_reference",
        "last_error",
        "created_at",
        "delivered_at",
        "supporter_name",
        "taken_at",
        "ended_at",
        "ended_by",
        "conversation_link",
        "transcript",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # visitors create hand-offs, through the widget

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(attempt_total=Count("attempts"))

    @admin.display(description=_("tries"), ordering="attempt_total")
    def attempt_count(self, obj: HandOff) -> int:
        return obj.attempt_total

    @admin.display(description=_("conversation"))
    def conversation_link(self, obj: HandOff):
        return format_html("<code>{}</code>", obj.conversation_id)

    @admin.display(description=_("transcript"))
    def transcript(self, obj: HandOff):
        # format_html escapes every value: what visitors and pages wrote stays text
        rows = Message.objects.filter(conversation_id=obj.conversation_id).order_by(
            "created_at", "id"
        )
        return format_html_join(
            "",
            '<div class="handoff-turn"><strong>{}</strong> <small>{}</small>'
            '<div style="white-space:pre-wrap">{}</div>{}</div>',
            (
                (
                    message.get_role_display(),
                    f"{message.created_at:%Y-%m-%d %H:%M}",
                    message.text,
                    format_html_join(
                        "",
                        '<div><small>[{}] <a href="{}" rel="noopener noreferrer" '
                        'target="_blank">{}</a></small></div>',
                        (
                            (s.get("n", "?"), s.get("url", ""), s.get("title") or s.get("url", ""))
                            for s in message.sources or []
                            if isinstance(s, dict)
                        ),
                    ),
                )
                for message in rows
            ),
        )

    @admin.action(description=_("Send the ticket again"), permissions=["change"])
    def send_again(self, request, queryset):
        sent = sum(1 for handoff in queryset if resend(handoff))
        self.message_user(
            request,
            ngettext("%(n)d ticket is sent again.", "%(n)d tickets are sent again.", sent)
            % {"n": sent},
            messages.SUCCESS if sent else messages.WARNING,
        )


@admin.register(HandOffSettings)
class HandOffSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "enabled", "delivery", "updated_at")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("enabled", "delivery", "consent_text_de", "consent_text_en")}),
        (_("Webhook"), {"fields": ("webhook_url",)}),
        (_("Zammad"), {"fields": ("zammad_url", "zammad_group", "zammad_fallback_customer")}),
        (_("Chatwoot"), {"fields": ("chatwoot_url", "chatwoot_account_id", "chatwoot_inbox_id")}),
        (_("E-mail"), {"fields": ("email_to",)}),
    )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not HandOffSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ("weekday", "opens", "closes")
    list_filter = ("weekday",)


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name")
