"""deploy/nginx.conf made runnable on this machine: the same file, other addresses and paths.

Only what differs between a container and a test run is replaced — the replicas'
addresses, the listening ports (127.0.0.1 only), the certificate, pid, log and temporary
paths — so the stickiness, WebSocket, upload and header rules under test are the
deployment's own. Each replacement must match, or the file changed shape and this
module says so, rather than testing something else.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
PROXY_ADDRESS = "127.0.0.3"  # where nginx connects to the app servers from, in a test
REPLICA_LINE = re.compile(r"^(\s*)server app\d+:8501 (.*);$", re.MULTILINE)


@dataclass(frozen=True)
class NginxFiles:
    """A runnable copy of the configuration and where its pieces are."""

    prefix: Path
    conf: Path
    pid: Path
    error_log: Path


def replica_names() -> list[str]:
    """Return the replica service names the upstream lists (app1, app2, …)."""
    return re.findall(r"^\s*server (app\d+):8501 ", NGINX_CONF.read_text(), re.MULTILINE)


def _replace(text: str, old: str, new: str) -> str:
    if old not in text:
        raise AssertionError(f"deploy/nginx.conf no longer holds {old!r}; update {__name__}")
    return text.replace(old, new)


def make_certificate(folder: Path) -> None:
    """Write a self-signed certificate for 127.0.0.1 (fullchain.pem, privkey.pem)."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(folder / "privkey.pem"),
            "-out",
            str(folder / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )


def render(prefix: Path, replicas: list[int], http_port: int, https_port: int) -> NginxFiles:
    """Write the test variant of deploy/nginx.conf into ``prefix``; return its paths.

    ``replicas`` are the app processes' ports on 127.0.0.1, in the upstream's order.
    """
    text = NGINX_CONF.read_text()
    lines = REPLICA_LINE.findall(text)
    if len(lines) != len(replicas):
        raise AssertionError(
            f"deploy/nginx.conf lists {len(lines)} replicas; the test started {len(replicas)}"
        )
    ports = iter(replicas)
    text = REPLICA_LINE.sub(
        lambda m: f"{m.group(1)}server 127.0.0.1:{next(ports)} {m.group(2)};", text
    )
    certs = prefix / "certs"
    make_certificate(certs)
    for sub in ("logs", "tmp"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    text = _replace(text, "/etc/nginx/certs/", f"{certs}/")
    text = _replace(text, "pid /var/run/nginx.pid;", f"pid {prefix / 'nginx.pid'};")
    text = _replace(text, "error_log /dev/stderr warn;", f"error_log {prefix / 'logs/error.log'};")
    text = _replace(text, "access_log /dev/stdout;", f"access_log {prefix / 'logs/access.log'};")
    text = _replace(text, "listen 80;", f"listen 127.0.0.1:{http_port};")
    text = _replace(text, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    temp = "\n".join(
        f"    {name}_temp_path {prefix / 'tmp' / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # nginx reaches the app servers from another loopback address than the browser's, so
    # a test can tell the browser's address (passed on in X-Forwarded-For) from nginx's.
    bind = f"    proxy_bind {PROXY_ADDRESS};"
    text = _replace(text, "http {\n", "http {\n" + temp + "\n" + bind + "\n")
    top = "daemon off;\n"
    if os.geteuid() == 0:  # workers keep root's access to the private test folder
        top += "user root;\n"
    text = top + text
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    return NginxFiles(
        prefix=prefix, conf=conf, pid=prefix / "nginx.pid", error_log=prefix / "logs/error.log"
    )


def check(files: NginxFiles) -> subprocess.CompletedProcess[str]:
    """Run ``nginx -t`` on the rendered configuration."""
    assert NGINX is not None
    return subprocess.run(
        [NGINX, "-t", "-p", str(files.prefix), "-c", str(files.conf)],
        capture_output=True,
        text=True,
        check=False,
    )
