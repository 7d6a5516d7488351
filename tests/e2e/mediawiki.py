"""A real MediaWiki for the wiki-source tests: Debian's package, SQLite, PHP's built-in server.

Installed once per test session into a temporary folder: ``install.php --confpath`` writes
the LocalSettings.php there, and ``MW_CONFIG_FILE`` (read by MediaWiki 1.39's
includes/BootstrapHelperFunctions.php) points the shared code in /usr/share/mediawiki at it,
so neither /usr/share/mediawiki nor /etc/mediawiki is touched. An admin bot password comes
from maintenance/createBotPassword.php; the tests edit, move and delete pages through the API
with it. The server's request log (stderr of ``php -S``) tells how often pages were parsed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import require

MEDIAWIKI = Path("/usr/share/mediawiki")
ADMIN, ADMIN_PASSWORD = "Admin", "Lotse-admin-pass-2026"
BOT_APP = "lotse"
EXTRA_SETTINGS = """
$wgCacheDirectory = "{tmp}/cache";
$wgUploadDirectory = "{tmp}/images";
$wgEnableUploads = false;
$wgRateLimits = [];
$wgShowExceptionDetails = true;
"""


class MediaWiki:
    def __init__(self, root: Path):
        self.root = root
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.base}/api.php"
        self.settings = root / "LocalSettings.php"
        self.log = root / "server.log"
        self.env = {**os.environ, "MW_CONFIG_FILE": str(self.settings)}
        self.process: subprocess.Popen | None = None
        self.bot_user = f"{ADMIN}@{BOT_APP}"
        self.bot_password = ""
        self._http: httpx.Client | None = None
        self._csrf = ""

    def install(self) -> None:
        (self.root / "db").mkdir()
        self._php(
            "maintenance/install.php", "--dbtype", "sqlite", "--dbpath", str(self.root / "db"),
            "--dbname", "wiki", "--server", self.base, "--scriptpath", "", "--confpath",
            str(self.root), "--pass", ADMIN_PASSWORD, "--lang", "en", "Lotse Testwiki", ADMIN,
        )  # fmt: skip
        with self.settings.open("a") as fh:
            fh.write(EXTRA_SETTINGS.format(tmp=self.root))
        out = self._php(
            "maintenance/createBotPassword.php", "--appid", BOT_APP,
            "--grants", "basic,highvolume,editpage,createeditmovepage,delete", ADMIN,
        )  # fmt: skip
        self.bot_password = out.rsplit("password:'", 1)[1].split("'", 1)[0]

    def _php(self, *args: str) -> str:
        done = subprocess.run(
            ["php", *args], cwd=MEDIAWIKI, env=self.env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def start(self) -> None:
        self.log.write_text("")
        self.process = subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{self.port}", "-t", str(MEDIAWIKI)],
            cwd=MEDIAWIKI, env=self.env, stdout=subprocess.DEVNULL,
            stderr=self.log.open("a"),
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("php -S did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
        if self._http is not None:
            self._http.close()
            self._http = None

    # -- what the tests do to the wiki ---------------------------------------------------

    def parse_requests(self) -> int:
        """How many ``action=parse`` requests the wiki has served so far."""
        return self.log.read_text(errors="replace").count("action=parse")

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(timeout=60)
            token = self.api("GET", action="query", meta="tokens", type="login")
            login = self.api(
                "POST", action="login", lgname=self.bot_user, lgpassword=self.bot_password,
                lgtoken=token["query"]["tokens"]["logintoken"],
            )  # fmt: skip
            assert login["login"]["result"] == "Success", login
            self._csrf = self.api("GET", action="query", meta="tokens")["query"]["tokens"][
                "csrftoken"
            ]
        return self._http

    def api(self, method: str, **params) -> dict:
        client = self._http if self._http is not None else self._client()
        params = {**params, "format": "json", "formatversion": "2"}
        if method == "POST":
            response = client.post(self.api_url, data=params)
        else:
            response = client.get(self.api_url, params=params)
        response.raise_for_status()
        answer = response.json()
        assert "error" not in answer, answer
        return answer

    def write(self, method_params: dict) -> dict:
        self._client()
        return self.api("POST", token=self._csrf, **method_params)

    def edit(self, title: str, text: str) -> dict:
        return self.write({"action": "edit", "title": title, "text": text, "bot": "1"})

    def move(self, old: str, new: str) -> dict:
        return self.write({"action": "move", "from": old, "to": new, "reason": "test"})

    def delete(self, title: str) -> dict:
        return self.write({"action": "delete", "title": title, "reason": "test"})

    def url(self, title: str) -> str:
        """The article's address as the wiki gives it (fullurl: percent-encoded)."""
        return f"{self.base}/index.php/{quote(title.replace(' ', '_'), safe=':/')}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def mediawiki(tmp_path_factory):
    """One MediaWiki for the session (tests keep apart by category)."""
    require(shutil.which("php"), "php (php-cli)", hint="apt install php-cli php-sqlite3")
    require(
        (MEDIAWIKI / "maintenance/install.php").exists(), "MediaWiki", hint="apt install mediawiki"
    )
    wiki = MediaWiki(tmp_path_factory.mktemp("mediawiki"))
    wiki.install()
    wiki.start()
    yield wiki
    wiki.stop()
