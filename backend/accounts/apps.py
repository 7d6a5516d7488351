from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Sign-in rules: password validation, login and token lockout (no models).

    Listed before ``django.contrib.auth`` so that its ``createsuperuser`` (which validates the
    password in ``--noinput`` mode too) is the one ``manage.py`` runs.
    """

    name = "backend.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib import admin
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from backend.accounts.lockout import (
            LockoutAuthenticationForm,
            clear_login_failures,
            count_login_failure,
        )

        # Failed admin sign-ins are counted and lock the name or address out for a while.
        admin.site.login_form = LockoutAuthenticationForm
        user_login_failed.connect(count_login_failure, dispatch_uid="lotse-login-failed")
        user_logged_in.connect(clear_login_failures, dispatch_uid="lotse-logged-in")
