"""Django's createsuperuser, with the password rules in ``--noinput`` mode too.

Django validates an interactively typed password (AUTH_PASSWORD_VALIDATORS) but takes
``DJANGO_SUPERUSER_PASSWORD`` as it is; scripted installs are where weak passwords come from.
"""

from __future__ import annotations

import os

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import createsuperuser
from django.contrib.auth.password_validation import validate_password
from django.core import exceptions
from django.core.management.base import CommandError


class Command(createsuperuser.Command):
    def handle(self, *args, **options):
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not options["interactive"] and password is not None:
            user_model = get_user_model()
            name_variable = f"DJANGO_SUPERUSER_{user_model.USERNAME_FIELD.upper()}"
            username = options.get(user_model.USERNAME_FIELD) or os.environ.get(name_variable, "")
            try:
                validate_password(password, user_model(**{user_model.USERNAME_FIELD: username}))
            except exceptions.ValidationError as error:
                raise CommandError("; ".join(error.messages)) from None
        return super().handle(*args, **options)
