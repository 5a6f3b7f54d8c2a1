"""Run the shop as in production on this machine: gunicorn behind nginx (``make serve``).

    python -m deploy.stack [--listen 127.0.0.1:8080] [--run-dir .serve] [--workers N]

migrates, collects the static files, starts gunicorn with ``deploy/gunicorn.conf.py``
on a unix socket in the run directory, and nginx (Debian's) with the configuration
rendered from ``deploy/nginx/`` in front of it, until Ctrl-C. DEBUG is off and every
production default holds, except what plain HTTP on loopback needs: no redirect to
HTTPS, no secure-only cookies, no HSTS (each can still be set in the environment).
A secret key is made once and kept in the run directory when ``DJANGO_SECRET_KEY`` is
not set.

The same classes start the stacks of the tests (``deploy/tests``), so what the tests
exercise is what ``make serve`` runs.
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from deploy.healthcheck import healthy, probe_host

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
GUNICORN_CONFIG = DEPLOY / "gunicorn.conf.py"
NGINX_TEMPLATES = DEPLOY / "nginx"
NGINX_MIME_TYPES = Path("/etc/nginx/mime.types")
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
STARTUP_SECONDS = 60
STOP_SECONDS = 30
# What plain HTTP on loopback needs; a deployment behind TLS keeps the secure defaults.
LOCAL_DEFAULTS = {
    "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
    "TRUSTED_PROXY_COUNT": "1",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "1",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_SESSION_COOKIE_SECURE": "0",
    "DJANGO_CSRF_COOKIE_SECURE": "0",
    "DJANGO_SECURE_HSTS_SECONDS": "0",
}


class StackError(RuntimeError):
    """A part of the stack failed to prepare, start or answer."""


def nginx_binary() -> str | None:
    """Return the path of nginx (Debian installs it in /usr/sbin, often not on a user's PATH)."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def render(template: str, values: Mapping[str, str]) -> str:
    """Return ``template`` with every ``${NAME}`` replaced; a name without a value is an error."""

    def value_of(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise StackError(f"no value for ${{{name}}} in an nginx template")
        return str(values[name])

    return PLACEHOLDER.sub(value_of, template)


def production_environment(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return this process's environment as production's: ``shop.settings``, DEBUG off."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_DEBUG"}
    env["DJANGO_SETTINGS_MODULE"] = "shop.settings"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides or {})
    return env


def manage(env: Mapping[str, str], *args: str, timeout: float = 600) -> str:
    """Run ``manage.py`` with ``args`` in ``env``; return its output, raise StackError on failure."""
    result = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise StackError(
            f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result.stdout


class ManagedProcess:
    """A server process in its own session, stopped gracefully, then killed if it must be."""

    name = "process"

    def __init__(
        self, command: list[str], *, env: Mapping[str, str], log_path: Path | None, address: str, host: str
    ):
        self.command = command
        self.env = dict(env)
        self.log_path = log_path
        self.address = address
        self.host = host
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the process; its output goes to ``log_path`` (or this terminal)."""
        output = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115 - kept by Popen
        try:
            self.process = subprocess.Popen(  # noqa: S603 - fixed commands of ours
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT if output else None,
                start_new_session=True,
            )
        finally:
            if output:
                output.close()

    @property
    def pid(self) -> int:
        """Return the process id (of gunicorn's or nginx's master)."""
        if self.process is None:
            raise StackError(f"{self.name} is not started")
        return self.process.pid

    def running(self) -> bool:
        """Return whether the process is still running."""
        return self.process is not None and self.process.poll() is None

    def log_text(self) -> str:
        """Return what the process wrote so far ('' when it writes to the terminal)."""
        if self.log_path and self.log_path.exists():
            return self.log_path.read_text(errors="replace")
        return ""

    def wait_ready(self) -> None:
        """Wait until ``GET /healthz`` answers at ``address``; raise StackError with the log if not."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while not healthy(self.address, self.host, timeout=2):
            if not self.running():
                raise StackError(f"{self.name} on {self.address} exited:\n{self.log_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise StackError(
                    f"{self.name} on {self.address} did not answer within {STARTUP_SECONDS} s:\n"
                    f"{self.log_text()[-3000:]}"
                )
            time.sleep(0.1)

    def stop(self, stop_signal: int = signal.SIGTERM) -> int | None:
        """Stop the process with ``stop_signal``; kill its whole session after ``STOP_SECONDS``."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(stop_signal)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


class Gunicorn(ManagedProcess):
    """gunicorn serving the shop with ``deploy/gunicorn.conf.py``."""

    name = "gunicorn"

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        bind: str,
        log_path: Path | None,
        workers: int | None = None,
        app: str = "shop.wsgi:application",
    ):
        env = {**env, "GUNICORN_BIND": bind}
        if workers:
            env["GUNICORN_WORKERS"] = str(workers)
        super().__init__(
            [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG), app],
            env=env,
            log_path=log_path,
            address=bind,
            host=probe_host(env.get("DJANGO_ALLOWED_HOSTS", "")),
        )

    def worker_pids(self) -> list[int]:
        """Return the pids of the master's workers (its children)."""
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in children.split()]


def nginx_values(
    *,
    run_dir: Path,
    listen: str,
    upstream: str,
    static_root: Path,
    server_includes: str,
    worker_processes: int,
) -> dict[str, str]:
    """Return the values of both nginx templates for a stack in ``run_dir``."""
    as_root = os.geteuid() == 0
    return {
        "NGINX_RUN_DIR": str(run_dir),
        "NGINX_MIME_TYPES": str(NGINX_MIME_TYPES),
        "NGINX_WORKER_PROCESSES": worker_processes,
        # Started as root, nginx's workers would run as nobody, who cannot read a
        # private temporary directory; a local stack keeps one user.
        "NGINX_USER_DIRECTIVE": f"user {pwd.getpwuid(os.geteuid()).pw_name};" if as_root else "",
        "SHOP_LISTEN": listen,
        "SHOP_UPSTREAM": upstream,
        "SHOP_STATIC_ROOT": str(static_root),
        "SHOP_ACCESS_LOG": str(run_dir / "access.log"),
        "SHOP_SERVER_INCLUDES": server_includes,
        "SHOP_FORWARDED_PROTO": "$scheme",
    }


class Nginx(ManagedProcess):
    """Debian's nginx with the shop's configuration, rendered into ``run_dir``."""

    name = "nginx"

    def __init__(self, *, run_dir: Path, values: Mapping[str, str], host: str, log_path: Path | None):
        binary = nginx_binary()
        if binary is None:
            raise StackError("nginx is not installed (apt-get install nginx; .ci/run does it)")
        (run_dir / "temp").mkdir(parents=True, exist_ok=True)
        for name in ("nginx.conf", "shop.conf"):
            template = (NGINX_TEMPLATES / f"{name}.template").read_text()
            (run_dir / name).write_text(render(template, values))
        super().__init__(
            [
                binary,
                "-p",
                str(run_dir),
                "-c",
                str(run_dir / "nginx.conf"),
                "-e",
                "stderr",
                "-g",
                "daemon off;",
            ],
            env=os.environ,
            log_path=log_path,
            address=values["SHOP_LISTEN"],
            host=host,
        )
        self.run_dir = run_dir


class Stack:
    """gunicorn on a unix socket in ``run_dir`` and nginx in front of it, as a context manager."""

    def __init__(
        self,
        *,
        run_dir: Path,
        env: Mapping[str, str],
        listen: str,
        static_root: Path,
        workers: int | None = None,
        server_includes: str | None = None,
        log_to_files: bool = True,
        nginx_worker_processes: str = "auto",
    ):
        run_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir = run_dir
        self.socket = run_dir / "gunicorn.sock"
        self.gunicorn = Gunicorn(
            env={**env, "DJANGO_STATIC_ROOT": str(static_root)},
            bind=f"unix:{self.socket}",
            workers=workers,
            log_path=run_dir / "gunicorn.log" if log_to_files else None,
        )
        values = nginx_values(
            run_dir=run_dir,
            listen=listen,
            upstream=f"unix:{self.socket}",
            static_root=static_root,
            server_includes=server_includes or str(run_dir / "server.d" / "*.conf"),
            worker_processes=nginx_worker_processes,
        )
        self.nginx = Nginx(
            run_dir=run_dir,
            values=values,
            host=self.gunicorn.host,
            log_path=run_dir / "nginx.log" if log_to_files else None,
        )

    def __enter__(self) -> Stack:
        try:
            self.gunicorn.start()
            self.gunicorn.wait_ready()
            self.nginx.start()
            self.nginx.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop nginx (finishing its requests), then gunicorn (graceful)."""
        self.nginx.stop(signal.SIGQUIT)
        self.gunicorn.stop(signal.SIGTERM)

    def running(self) -> bool:
        """Return whether both servers are running."""
        return self.gunicorn.running() and self.nginx.running()


def local_secret_key(run_dir: Path) -> str:
    """Return the secret key kept in ``run_dir`` for ``make serve``, making it the first time."""
    path = run_dir / "secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


def serve(args: argparse.Namespace) -> int:
    """Prepare and run the stack until interrupted; return the exit status."""
    if nginx_binary() is None:
        print("make serve needs nginx: apt-get install nginx", file=sys.stderr)
        return 1
    run_dir = Path(args.run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    overrides = {key: value for key, value in LOCAL_DEFAULTS.items() if key not in os.environ}
    if not os.environ.get("DJANGO_SECRET_KEY"):
        overrides["DJANGO_SECRET_KEY"] = local_secret_key(run_dir)
    env = production_environment(overrides)
    static_root = Path(env.get("DJANGO_STATIC_ROOT") or ROOT / "staticfiles")
    print("shop: migrate", flush=True)
    manage(env, "migrate", "--noinput")
    print("shop: collectstatic", flush=True)
    print(manage(env, "collectstatic", "--noinput").strip().splitlines()[-1], flush=True)
    stopping = []
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    with Stack(
        run_dir=run_dir,
        env=env,
        listen=args.listen,
        static_root=static_root,
        workers=args.workers,
        log_to_files=False,
    ) as stack:
        workers = len(stack.gunicorn.worker_pids())
        print(
            f"shop: serving http://{args.listen}/ (nginx -> gunicorn, {workers} workers; "
            f"nginx access log {run_dir / 'access.log'}). Ctrl-C stops.",
            flush=True,
        )
        while not stopping:
            if not stack.running():
                print("shop: a server exited; stopping", file=sys.stderr)
                return 1
            time.sleep(0.5)
    print("shop: stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:8080", help="nginx's address (default 127.0.0.1:8080)")
    parser.add_argument(
        "--run-dir", default=str(ROOT / ".serve"), help="configs, socket, logs (default .serve/)"
    )
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default 2 x CPUs + 1)")
    return serve(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
