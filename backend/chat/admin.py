from django.contrib import admin

from backend.chat.models import Conversation, Feedback, Message


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    max_num = 0
    fields = ("role", "text", "outcome", "sources", "timings", "created_at")
    readonly_fields = fields


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "language", "origin", "message_count")
    list_filter = ("language", "created_at")
    search_fields = ("id", "messages__text")
    readonly_fields = ("id", "created_at", "language", "client_hash", "origin", "sources")
    inlines = [MessageInline]

    @admin.display(description="messages")
    def message_count(self, obj: Conversation) -> int:
        return obj.messages.count()


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("__str__", "role", "outcome", "conversation", "created_at")
    list_filter = ("role", "outcome", "created_at")
    search_fields = ("text",)
    readonly_fields = [field.name for field in Message._meta.fields]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("__str__", "rating", "message", "created_at")
    list_filter = ("rating", "created_at")
    search_fields = ("comment", "message__text")
    readonly_fields = ("message", "rating", "comment", "created_at")
