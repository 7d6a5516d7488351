from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "backend.chat"
    label = "chat"
    verbose_name = _("Chat")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from backend.chat.models import ChatTexts
        from backend.chat.services import forget_editor_texts

        post_save.connect(forget_editor_texts, sender=ChatTexts, dispatch_uid="chat-texts-saved")
        post_delete.connect(
            forget_editor_texts, sender=ChatTexts, dispatch_uid="chat-texts-deleted"
        )
