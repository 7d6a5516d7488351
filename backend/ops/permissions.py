"""The API checks the same thing as the admin: an active staff user with the model permission.

Roles are Django groups (``backend.ops.roles``) holding model permissions; the admin asks
``user.has_perm("sources.view_source")`` and friends, and so does every API view through
:class:`RolePermissions`. Reads need the ``view`` permission (DRF's own
``DjangoModelPermissions`` lets any logged-in user read), writes ``add``/``change``/``delete``,
and a view's extra actions name theirs in ``action_permissions``, e.g. starting a crawl needs
``sources.change_source`` as the admin's "Crawl now" button does.
"""

from __future__ import annotations

from rest_framework.permissions import DjangoModelPermissions

VIEW = "%(app_label)s.view_%(model_name)s"


class RolePermissions(DjangoModelPermissions):
    perms_map = {
        "GET": [VIEW],
        "HEAD": [VIEW],
        "OPTIONS": [VIEW],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        user = request.user
        # the admin lets only active staff users in; the API no one else either
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        wanted = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if wanted is not None:
            return user.has_perms(wanted)
        return super().has_permission(request, view)
