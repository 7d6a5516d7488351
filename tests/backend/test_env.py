import pytest
from django.core.exceptions import ImproperlyConfigured

from backend.settings.env import (
    envbool,
    envfloat,
    envint,
    envlist,
    envurl,
    parse_database_url,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("1", True), ("YES", True), ("off", False), ("0", False), ("", False)],
)
def test_envbool(monkeypatch, raw, expected):
    monkeypatch.setenv("LOTSE_X", raw)
    assert envbool("LOTSE_X", False) is expected


@pytest.mark.parametrize(
    ("reader", "raw", "fragment"),
    [
        (lambda: envbool("LOTSE_X"), "maybe", "LOTSE_X='maybe' is not a boolean"),
        (lambda: envint("LOTSE_X", 1), "ten", "LOTSE_X='ten' is not a whole number"),
        (lambda: envint("LOTSE_X", 1, minimum=5), "2", "LOTSE_X=2 is too small"),
        (lambda: envfloat("LOTSE_X", 1.0), "1,5", "LOTSE_X='1,5' is not a number"),
        (
            lambda: envurl("LOTSE_X", schemes=("redis",)),
            "http://x",
            "LOTSE_X must start with redis://",
        ),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, reader, raw, fragment):
    monkeypatch.setenv("LOTSE_X", raw)
    with pytest.raises(ImproperlyConfigured, match=fragment.replace("(", r"\(")):
        reader()


def test_unset_and_blank_mean_default(monkeypatch):
    monkeypatch.delenv("LOTSE_X", raising=False)
    assert envint("LOTSE_X", 7) == 7
    monkeypatch.setenv("LOTSE_X", "  ")
    assert envint("LOTSE_X", 7) == 7
    assert envlist("LOTSE_X", ["a"]) == ["a"]


def test_envlist_drops_blanks(monkeypatch):
    monkeypatch.setenv("LOTSE_X", "a.example, ,b.example,")
    assert envlist("LOTSE_X") == ["a.example", "b.example"]


@pytest.mark.parametrize(
    ("url", "engine", "name", "user", "password", "host", "port"),
    [
        ("mysql://root@127.0.0.1:3306/test", "mysql", "test", "root", "", "127.0.0.1", "3306"),
        ("mysql://lotse:p%40ss@db/lotse", "mysql", "lotse", "lotse", "p@ss", "db", "3306"),
        ("mariadb://u:p@db:3307/x", "mysql", "x", "u", "p", "db", "3307"),
        ("sqlite:////srv/lotse.sqlite3", "sqlite3", "/srv/lotse.sqlite3", "", "", "", ""),
    ],
)
def test_parse_database_url(url, engine, name, user, password, host, port):
    config = parse_database_url("DATABASE_URL", url).as_django()
    assert config["ENGINE"].endswith(engine)
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == (name, user, password)
    assert (config["HOST"], config["PORT"]) == (host, port)


@pytest.mark.parametrize(
    "url", ["postgres://u@h/db", "mysql://h", "mysql:///db", "mysql://u@h:port/db", "sqlite://"]
)
def test_parse_database_url_rejects(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        parse_database_url("DATABASE_URL", url)


def test_mysql_uses_utf8mb4_for_umlauts():
    config = parse_database_url("DATABASE_URL", "mysql://u@h/db").as_django()
    assert config["OPTIONS"]["charset"] == "utf8mb4"
