"""A visitor's request for a person, how its ticket went out, and when people are there.

One :class:`HandOff` per request, tied to the chat conversation it came from (the transcript is
that conversation's messages). Its ``kind`` says how it is served: ``ticket`` (a form, sent out
by the delivery the admin chose) or ``live`` (a supporter takes the chat over; a later slice).
The statuses of both are here already, so live chat adds transitions, not a remodelling:

    ticket: requested -> ticket_created | ticket_failed (-> requested again when re-sent)
    live:   requested -> waiting -> active -> ended

Opening hours and holidays are rows editors keep in the admin (:mod:`backend.handoff.hours`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.chat.models import Conversation


class HandOff(models.Model):
    class Kind(models.TextChoices):
        TICKET = "ticket", _("Ticket")
        LIVE = "live", _("Live chat")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        WAITING = "waiting", _("Waiting for a supporter")
        ACTIVE = "active", _("Chat active")
        ENDED = "ended", _("Ended")
        TICKET_CREATED = "ticket_created", _("Ticket created")
        TICKET_FAILED = "ticket_failed", _("Ticket failed")

    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        related_name="handoffs",
        verbose_name=_("conversation"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TICKET)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.REQUESTED,
        db_index=True,
    )
    # why the visitor was offered a person: asked (button or phrase), unanswered, thumbs-down
    reason = models.CharField(_("reason"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    message = models.TextField(_("message"))
    consent_given = models.BooleanField(_("consent given"), default=False)
    # the exact text the visitor agreed to: it may change in the admin later
    consent_text = models.TextField(_("consent text shown"), blank=True)
    # which delivery the ticket went out by, and what the other side calls it
    channel = models.CharField(_("delivery"), max_length=20, blank=True)
    ticket_reference = models.CharField(_("ticket reference"), max_length=200, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    # live chat: when a supporter took it over and when it ended
    taken_at = models.DateTimeField(_("taken over"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("supporter"),
    )
    # the name the visitor sees (the supporter's first name, else the login)
    supporter_name = models.CharField(_("supporter's name"), max_length=150, blank=True)
    # the taking supporter's inbox heartbeat: without one for a while, back to waiting
    supporter_seen_at = models.DateTimeField(_("supporter last seen"), null=True, blank=True)
    # who ended a live chat: visitor, supporter, or assistant (handed back)
    ended_by = models.CharField(_("ended by"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("hand-off")
        verbose_name_plural = _("hand-offs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"


class LiveMessage(models.Model):
    """One line of a live chat, from the visitor or the supporter; text only, shown as text."""

    class Sender(models.TextChoices):
        VISITOR = "visitor", _("Visitor")
        SUPPORTER = "supporter", _("Supporter")

    handoff = models.ForeignKey(
        HandOff, on_delete=models.CASCADE, related_name="live_messages", verbose_name=_("hand-off")
    )
    sender = models.CharField(_("sender"), max_length=10, choices=Sender.choices)
    author = models.CharField(_("author"), max_length=150, blank=True)
    text = models.TextField(_("text"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("live chat message")
        verbose_name_plural = _("live chat messages")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:60]}"


class SupporterPresence(models.Model):
    """A supporter's last inbox heartbeat: online while it is recent (HANDOFF_ONLINE_S).
    In the database, so every backend process sees the same."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    seen_at = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        verbose_name = _("supporter presence")
        verbose_name_plural = _("supporter presence")

    def __str__(self) -> str:
        return f"{self.user_id} {self.seen_at:%H:%M:%S}"


class DeliveryAttempt(models.Model):
    """One try at sending a hand-off's ticket: the delivery log editors read in the admin."""

    handoff = models.ForeignKey(
        HandOff, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("hand-off")
    )
    channel = models.CharField(_("delivery"), max_length=20)
    ok = models.BooleanField(_("delivered"), default=False)
    status_code = models.PositiveIntegerField(_("status code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    # the last try of a delivery: no retry follows (success, refusal, or retries used up)
    final = models.BooleanField(_("last try"), default=False)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.channel} {self.status_code or ''} {'ok' if self.ok else self.error[:60]}"


class HandOffSettings(models.Model):
    """The one row of hand-off settings (editors and administrators keep it in the admin).

    Secrets are not here: the webhook secret and the connectors' tokens come from the
    environment (docs/operators.md)."""

    class Delivery(models.TextChoices):
        NONE = "none", _("None (keep the ticket in Lotse only)")
        WEBHOOK = "webhook", _("Signed webhook")
        ZAMMAD = "zammad", _("Zammad")
        CHATWOOT = "chatwoot", _("Chatwoot")
        EMAIL = "email", _("E-mail")

    enabled = models.BooleanField(
        _("offer a person"),
        default=True,
        help_text=_("Visitors may ask for a person and are offered the contact form."),
    )
    delivery = models.CharField(
        _("ticket delivery"), max_length=20, choices=Delivery.choices, default=Delivery.NONE
    )
    consent_text_de = models.TextField(
        _("consent text (German)"),
        blank=True,
        help_text=_("Shown next to the consent checkbox. Empty: the default."),
    )
    consent_text_en = models.TextField(_("consent text (English)"), blank=True)
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    zammad_url = models.URLField(_("Zammad URL"), max_length=500, blank=True)
    zammad_group = models.CharField(_("Zammad group"), max_length=200, blank=True, default="Users")
    zammad_fallback_customer = models.EmailField(
        _("Zammad customer for visitors without e-mail"),
        blank=True,
        help_text=_(
            "Zammad needs a customer's e-mail; a visitor who gave only a phone number "
            "is filed under this one."
        ),
    )
    chatwoot_url = models.URLField(_("Chatwoot URL"), max_length=500, blank=True)
    chatwoot_account_id = models.PositiveIntegerField(
        _("Chatwoot account id"), null=True, blank=True
    )
    chatwoot_inbox_id = models.PositiveIntegerField(_("Chatwoot inbox id"), null=True, blank=True)
    email_to = models.EmailField(_("send tickets to (e-mail)"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("hand-off settings")
        verbose_name_plural = _("hand-off settings")

    def __str__(self) -> str:
        return str(_("Hand-off settings"))

    @classmethod
    def current(cls) -> HandOffSettings:
        """The row, created with the defaults on first use (pk 1: two first uses at once
        make one row, the loser of the insert reads the winner's)."""
        return cls.objects.order_by("pk").first() or cls.objects.get_or_create(pk=1)[0]


class OpeningHours(models.Model):
    """One weekday's time range in which supporters answer (several per day allowed)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")),
                name="handoff_hours_close_after_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Holiday(models.Model):
    """A date on which nobody answers, whatever the opening hours say."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()
