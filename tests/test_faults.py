"""Faults: unexpected errors, a database that goes away and comes back, a server killed mid-attempt."""

import contextlib
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from quizapp import create_app
from quizapp.extensions import db

from . import factories
from .conftest import Browser, _config, free_port

ROOT = Path(__file__).resolve().parent.parent


def test_unexpected_error_shows_a_request_id_and_no_internals(tmp_path):
    """A 500 page names a request id, carries it in a header, and shows no traceback or SQL."""
    app = create_app({**_config(), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e.db'}"})

    @app.get("/boom")
    def boom():
        raise RuntimeError("SELECT secret FROM internals")

    response = app.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "Something went wrong" in html
    assert response.headers["X-Request-ID"] in html
    assert "Traceback" not in html and "SELECT" not in html and "RuntimeError" not in html


def test_not_found_page_is_friendly(client):
    """Unknown URLs get the site's own 404 page."""
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "There is nothing here" in response.get_data(as_text=True)


class Proxy:
    """A TCP forwarder to PostgreSQL that a test can cut and restore, like a network blip."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.sockets, self.lock = target, [], threading.Lock()
        self.port = None
        self.listener = None
        self.start()

    def start(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port or 0))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self):
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.sockets.clear()


def test_database_outage_gives_503_and_recovers_without_restart(app, database_url):
    """The database vanishes: a friendly 503. It returns: the same app serves again."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs a database reached over the network (the PostgreSQL leg)")
    with app.app_context():
        factories.user("t@x.test")
    url = sa.engine.make_url(database_url)
    proxy = Proxy((url.host, url.port or 5432))
    proxied = create_app({**_config(), "SQLALCHEMY_DATABASE_URI": url.set(port=proxy.port).render_as_string(False)})
    try:
        b = Browser(proxied.test_client())
        b.login("t@x.test")
        assert b.get("/trainee/").status_code == 200
        proxy.stop()
        down = b.get("/trainee/")
        html = down.get_data(as_text=True)
        assert down.status_code == 503 and "Temporarily unavailable" in html and "Traceback" not in html
        proxy.start()
        assert b.get("/trainee/").status_code == 200
    finally:
        proxy.stop()
        with proxied.app_context():
            db.engine.dispose()


def _terminate_other_backends(database_url: str) -> int:
    """Kill every other session on the test database from outside, as a server restart or an idle timeout would."""
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:
            return len(
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("idle_ping_seconds, first_status", [(0, 200), (3600, 503)])
def test_connection_dropped_while_idle(app, database_url, idle_ping_seconds, first_status):
    """A pooled connection killed while idle is replaced unseen once it has idled past the threshold;
    within the threshold it is not pinged, so one request gets the 503 page and the next one reconnects."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs a database server that can drop connections (the PostgreSQL leg)")
    with app.app_context():
        factories.user("t@x.test")
        db.engine.dispose()
    served = create_app(
        {**_config(), "SQLALCHEMY_DATABASE_URI": database_url, "DATABASE_IDLE_PING_SECONDS": idle_ping_seconds}
    )
    try:
        b = Browser(served.test_client())
        b.login("t@x.test")
        assert b.get("/trainee/").status_code == 200
        assert _terminate_other_backends(database_url) >= 1
        assert b.get("/trainee/").status_code == first_status
        assert b.get("/trainee/").status_code == 200
    finally:
        with served.app_context():
            db.engine.dispose()


# --- a real gunicorn, killed mid-attempt -----------------------------------------------------


class Http:
    """A tiny browser over urllib: cookies, CSRF tokens, no redirects followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), self.NoRedirect
        )

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=10) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def form(self, page, data, action=None):
        _, _, html = self.request(page)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        return self.request(action or page, {**data, "csrf_token": token})


def serve(env, port, workers: int = 2):
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--config",
            "gunicorn.conf.py",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError("gunicorn did not start")


@pytest.mark.skipif(not (ROOT / ".venv/bin/gunicorn").exists(), reason="gunicorn is installed by make test")
def test_server_killed_mid_attempt_loses_no_saved_answer(tmp_path):
    """Answer, SIGKILL every gunicorn process, restart: the answer and the attempt are still there."""
    banks = tmp_path / "banks"
    banks.mkdir()
    shutil.copy(factories.DATA / "tiny_bank.yaml", banks / "tiny.yaml")
    env = {
        **os.environ,
        "SECRET_KEY": "kill-test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kill.db'}",
        "FLASK_APP": "quizapp",
    }
    flask = str(ROOT / ".venv/bin/flask")
    for args in (
        ["db", "upgrade"],
        ["banks", "import", str(banks)],
        ["users", "create", "--email", "k@x.test", "--name", "K", "--clinic", "C", "--password", "kill-test-pass"],
    ):
        subprocess.run([flask, *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=60)

    port = free_port()
    server = serve(env, port)
    try:
        web = Http(f"http://127.0.0.1:{port}")
        assert web.form("/auth/login", {"email": "k@x.test", "password": "kill-test-pass"})[0] == 302
        status, headers, _ = web.form("/trainee/banks/tiny", {}, action="/trainee/banks/tiny/start")
        question = urllib.parse.urlparse(headers["Location"]).path
        assert web.form(question, {"answer": "1", "next": "Save and next"})[0] == 302
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)

    server = serve(env, port)
    try:
        web = Http(f"http://127.0.0.1:{port}")
        web.form("/auth/login", {"email": "k@x.test", "password": "kill-test-pass"})
        status, _, html = web.request(question)
        assert status == 200
        assert re.search(r'value="1"\s+checked', html), "the answer saved before the kill is still selected"
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
