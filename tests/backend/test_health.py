"""/healthz and /readyz: JSON, every check with its latency, 503 (not a hang) on failure."""

import socket

import pytest
from django.test import override_settings

from backend.ops import stores


@pytest.fixture(autouse=True)
def fresh_stores():
    stores.close_stores()
    yield
    stores.close_stores()


def test_healthz_touches_nothing(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_embedded_default_is_green(admin_client):
    client = admin_client
    from workers.inprocess import get_worker

    get_worker().start()
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert set(body["checks"]) == {"database", "broker", "page_store", "vector_store"}
    for check in body["checks"].values():
        assert check["ok"] is True and check["latency_ms"] >= 0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_readyz_names_the_failing_checks_with_503(admin_client):
    client = admin_client
    port = _closed_port()
    with override_settings(
        MONGODB_URL=f"mongodb://127.0.0.1:{port}",
        QDRANT_URL=f"http://127.0.0.1:{port}",
        CELERY_BROKER_URL=f"amqp://guest:guest@127.0.0.1:{port}//",
        TASKS_EMBEDDED=False,
        HEALTH_CHECK_TIMEOUT=1.0,
    ):
        response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["checks"]["database"]["ok"] is True
    for name in ("page_store", "vector_store", "broker"):
        assert body["checks"][name]["ok"] is False, name
        assert body["checks"][name]["detail"], name


@pytest.mark.django_db
def test_readyz_gives_up_on_a_server_that_never_answers(client):
    """(anonymous: the names of the failing checks only)"""
    # A listener that accepts and then says nothing: the check must time out, not hang.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        with override_settings(MONGODB_URL=f"mongodb://127.0.0.1:{port}", HEALTH_CHECK_TIMEOUT=0.5):
            response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert "page_store" in body["failing"]


@pytest.mark.django_db
def test_readyz_checks_redis_when_configured(admin_client, redis_url):
    client = admin_client
    from workers.inprocess import get_worker

    get_worker().start()
    with override_settings(REDIS_URL=redis_url):
        body = client.get("/readyz").json()
    assert body["checks"]["redis"]["ok"] is True


@pytest.mark.django_db
def test_anonymous_visitors_see_no_error_texts(client, admin_client, django_user_model):
    port = _closed_port()
    broken = {
        "MONGODB_URL": f"mongodb://127.0.0.1:{port}",
        "QDRANT_URL": f"http://127.0.0.1:{port}",
        "HEALTH_CHECK_TIMEOUT": 1.0,
    }
    with override_settings(**broken):
        anonymous = client.get("/readyz")
        staff = admin_client.get("/readyz")
        visitor = django_user_model.objects.create_user("visitor", password="pw")
        client.force_login(visitor)  # signed in, but not staff
        signed_in = client.get("/readyz")
    for response in (anonymous, signed_in):
        assert response.status_code == 503
        body = response.json()
        assert body == {"status": "fail", "failing": body["failing"]}
        assert {"page_store", "vector_store"} <= set(body["failing"])
        assert str(port) not in response.content.decode()
    assert staff.status_code == 503
    assert str(port) in staff.json()["checks"]["vector_store"]["detail"] + str(staff.json())
    assert "mode" in staff.json()
