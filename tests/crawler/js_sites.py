"""Local sites whose text exists only after JavaScript runs (crawler.render tests, bench)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.crawler.sites import Answer, Site

HTML = {"Content-Type": "text/html; charset=utf-8"}
JS = {"Content-Type": "application/javascript"}

# Words that exist only in what the scripts build: a test looks for them in the index.
FROM_JSON = "Die Sprechstunde der Kanzlei ist dienstags von neun bis zwölf Uhr"
FROM_ROUTER = "Der Mitgliedsbeitrag beträgt jährlich achtundvierzig Euro"
IN_ACCORDION = "Anträge auf Ermäßigung nimmt die Geschäftsstelle schriftlich entgegen"

SHELL = """<!doctype html><html lang="de"><head><title>{title}</title>
<script src="/app.js" defer></script></head>
<body><noscript>Bitte aktivieren Sie JavaScript.</noscript><div id="root"></div></body></html>"""

APP_JS = """
(function () {
  var root = document.getElementById('root');
  var routes = {
    '/': function () {
      fetch('/api/hours.json').then(function (r) { return r.json(); }).then(function (d) {
        root.innerHTML = '<h1>Kanzlei</h1><p>' + d.text + '</p>' +
          '<a href="/beitrag">Beitrag</a> <a href="/faq">Fragen</a>';
      });
    },
    '/beitrag': function () {
      root.innerHTML = '<h1>Beitrag</h1><p>' + atob('%s') + '</p>';
    },
    '/faq': function () {
      root.innerHTML = '<h1>Fragen</h1><button aria-expanded="false" aria-controls="a1" ' +
        'id="q1">Ermäßigung?</button><div id="a1" hidden></div>';
      document.getElementById('q1').addEventListener('click', function () {
        var a = document.getElementById('a1');
        a.textContent = atob('%s'); a.hidden = false;
        this.setAttribute('aria-expanded', 'true');
      });
    }
  };
  (routes[location.pathname] || routes['/'])();
})();
"""


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode("latin-1")).decode()


def js_routes(extra: dict | None = None) -> dict:
    """The script-built site: a shell, its app, a JSON endpoint; the router's paths."""
    shell = {
        path: Answer(body=SHELL.format(title=title).encode(), headers=HTML)
        for path, title in (("/", "Kanzlei"), ("/beitrag", "Beitrag"), ("/faq", "Fragen"))
    }
    app = (APP_JS % (_b64(FROM_ROUTER), _b64(IN_ACCORDION))).encode()
    hours = json.dumps({"text": FROM_JSON}, ensure_ascii=False).encode()
    routes = {
        **shell,
        "/app.js": Answer(body=app, headers=JS),
        "/api/hours.json": Answer(body=hours, headers={"Content-Type": "application/json"}),
    }
    routes.update(extra or {})
    return routes


def js_site(extra: dict | None = None) -> Site:
    return Site(js_routes(extra))


class CountingHandler(BaseHTTPRequestHandler):
    server: Target

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(b"secret")

    def log_message(self, format: str, *args) -> None:
        pass


class Target(ThreadingHTTPServer):
    """A server that must never be reached; it counts who tried."""

    daemon_threads = True

    def __init__(self, host: str = "127.0.0.2"):
        super().__init__((host, 0), CountingHandler)
        self.lock = threading.Lock()
        self.hits: list[str] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Target:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
