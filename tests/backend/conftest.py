"""Fixtures of the admin tests."""

import pytest
from django.contrib.auth.models import Group, User

from backend.ops.roles import EDITORS


@pytest.fixture
def editor_client(client, db):
    """The test client, logged in as a staff user in the Editors group."""
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS))
    client.force_login(user)
    return client
