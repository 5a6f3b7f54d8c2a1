"""The container and CI files, checked offline (no container engine or MongoDB server here).

What runs here: the Compose Specification's JSON schema and GitHub's workflow schema
(both bundled with check-jsonschema), actionlint (with shellcheck for the ``run:``
scripts), hadolint for the Dockerfile, and the checks below of what those tools
cannot know: that the files agree with each other and with the code. What does not
run here: building the images, starting compose.yaml, and the workflow itself; the
workflow's ``compose`` job does the first two on GitHub (README "Continuous integration").
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deploy.runtime_requirements import runtime_requirements
from deploy.stack import PLACEHOLDER, nginx_values
from shop.testing.components import component_required

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
NGINX_SITE = ROOT / "deploy" / "nginx" / "shop.conf.template"
TOOLING = {"pytest", "pytest-django", "factory-boy", "schemathesis", "hypothesis", "playwright", "ruff"}


def run_tool(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def dockerfile_stages() -> dict[str, list[tuple[str, str]]]:
    """Return ``{stage: [(instruction, arguments), ...]}`` with continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    stages: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        instruction, _, arguments = line.strip().partition(" ")
        if instruction.upper() == "FROM":
            current = arguments.split(" AS ")[-1].strip()
            stages[current] = []
        stages[current].append((instruction.upper(), " ".join(arguments.split())))
    return stages


def instructions(stage: str, name: str) -> list[str]:
    return [arguments for instruction, arguments in dockerfile_stages()[stage] if instruction == name]


# --- the tools ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "schema"), [(COMPOSE, "vendor.compose-spec"), (WORKFLOW, "vendor.github-workflows")]
)
def test_files_follow_their_official_schemas(path, schema):
    result = run_tool(str(BIN / "check-jsonschema"), "--builtin-schema", schema, str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflow_passes_actionlint_with_shellcheck():
    component_required(
        shutil.which("shellcheck") is not None,
        "shellcheck is missing: actionlint checks the workflow's scripts with it "
        "(apt-get install shellcheck; .ci/run does it).",
    )
    result = run_tool(str(BIN / "actionlint"), "-shellcheck", shutil.which("shellcheck"), str(WORKFLOW))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dockerfile_passes_hadolint():
    result = run_tool(str(BIN / "hadolint"), str(DOCKERFILE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_run_passes_shellcheck():
    component_required(
        shutil.which("shellcheck") is not None, "shellcheck is missing (apt-get install shellcheck)"
    )
    result = run_tool(shutil.which("shellcheck"), ".ci/run")
    assert result.returncode == 0, result.stdout


# --- the Dockerfile ------------------------------------------------------------------


def test_the_app_image_is_slim_unprivileged_with_static_files_a_health_check_and_gunicorn():
    stages = dockerfile_stages()
    assert list(stages) == ["app", "proxy"]
    [base] = instructions("app", "FROM")
    assert re.fullmatch(r"python:3\.11-slim-\w+ AS app", base)
    [user] = instructions("app", "USER")
    assert user.split(":")[0] not in ("0", "root")
    runs = " ".join(instructions("app", "RUN"))
    assert "manage.py collectstatic --noinput" in runs
    assert "runtime_requirements.py" in runs
    [healthcheck] = instructions("app", "HEALTHCHECK")
    assert '"/app/deploy/healthcheck.py"' in healthcheck
    [entrypoint] = instructions("app", "ENTRYPOINT")
    assert entrypoint == '["gunicorn", "--config", "/app/deploy/gunicorn.conf.py", "shop.wsgi:application"]'
    # The user switch comes after everything that writes into the image.
    kinds = [instruction for instruction, _ in stages["app"]]
    assert kinds.index("USER") > max(index for index, kind in enumerate(kinds) if kind in ("RUN", "COPY"))


def test_every_file_the_dockerfile_copies_exists():
    for stage in ("app", "proxy"):
        for arguments in instructions(stage, "COPY"):
            if arguments.startswith("--from="):
                continue
            *sources, _destination = arguments.split()
            for source in sources:
                assert (ROOT / source).exists(), source


def test_the_proxy_image_renders_every_placeholder_of_the_nginx_template():
    env = dict(re.findall(r"(SHOP_[A-Z_]+)=(\S+)", " ".join(instructions("proxy", "ENV"))))
    placeholders = set(PLACEHOLDER.findall(NGINX_SITE.read_text()))
    assert placeholders <= set(env)
    assert env["SHOP_FORWARDED_PROTO"] == "\\$scheme"  # escaped: Docker would substitute $scheme
    copies = instructions("proxy", "COPY")
    assert "deploy/nginx/shop.conf.template /etc/nginx/templates/default.conf.template" in copies
    assert f"--from=app /app/staticfiles {env['SHOP_STATIC_ROOT']}" in copies
    # deploy.stack renders the same placeholders for make serve and the stack tests.
    local = nginx_values(
        run_dir=ROOT, listen="1", upstream="u", static_root=ROOT, server_includes="i", worker_processes="1"
    )
    assert placeholders <= set(local)


def test_the_image_installs_the_runtime_requirements_only():
    requirements = runtime_requirements((ROOT / "requirements.txt").read_text())
    names = {line.split("==")[0].lower() for line in requirements}

    assert {"django", "gunicorn", "whitenoise", "pymongo", "prometheus-client", "redis"} <= names
    assert not names & TOOLING
    assert all("==" in line for line in requirements)


def production_modules() -> list[Path]:
    skipped = {"tests", "testing", "migrations", "mongo_migrations"}
    packages = ("shop", "accounts", "catalog", "orders", "legacy", "deploy")
    modules = [ROOT / "manage.py"]
    for package in packages:
        modules += [path for path in (ROOT / package).rglob("*.py") if not skipped & set(path.parts)]
    return modules


def test_no_production_module_imports_a_test_tool():
    forbidden = {"pytest", "factory", "schemathesis", "hypothesis", "playwright"}
    for path in production_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported = {node.module.split(".")[0]}
            else:
                continue
            assert not imported & forbidden, f"{path.relative_to(ROOT)} imports {imported & forbidden}"


def test_the_build_context_leaves_local_state_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "*.sqlite3", ".env", "staticfiles", ".serve"} <= ignored


# --- compose.yaml --------------------------------------------------------------------


def test_compose_runs_mongodb_as_an_initialised_replica_set_before_the_app():
    services = load(COMPOSE)["services"]
    mongo = services["mongo"]

    assert mongo["image"] == "mongo:8"
    assert mongo["command"][:2] == ["--replSet", "rs0"]
    check = " ".join(mongo["healthcheck"]["test"])
    assert "rs.initiate({_id: 'rs0', members: [{_id: 0, host: 'mongo:27017'}]})" in check
    assert "isWritablePrimary" in check
    assert services["migrate"]["depends_on"]["mongo"]["condition"] == "service_healthy"
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["app"]["environment"]["MONGODB_URI"] == "mongodb://mongo:27017/shop?replicaSet=rs0"


def test_compose_shares_redis_and_puts_nginx_in_front():
    services = load(COMPOSE)["services"]

    assert services["app"]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert services["app"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["nginx"]["build"]["target"] == "proxy"
    assert services["nginx"]["environment"]["SHOP_UPSTREAM"] == "app:8000"
    assert services["nginx"]["depends_on"]["app"]["condition"] == "service_healthy"
    assert "ports" not in services["app"]  # reached through nginx only
    assert services["app"]["environment"]["TRUSTED_PROXY_COUNT"] == "${TRUSTED_PROXY_COUNT:-1}"


def test_every_setting_compose_passes_is_documented_in_the_configuration_reference():
    table_rows = [
        line for line in (ROOT / "docs" / "configuration.md").read_text().splitlines() if line.startswith("|")
    ]
    for name in load(COMPOSE)["services"]["app"]["environment"]:
        assert any(f"`{name}`" in row for row in table_rows), name


# --- the workflow ---------------------------------------------------------------------


def test_the_workflow_tests_on_sqlite_and_on_a_mongodb_replica_set_and_benches_on_demand():
    workflow = load(WORKFLOW)
    jobs = workflow["jobs"]
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as True

    assert "workflow_dispatch" in triggers
    assert any(step.get("run") == "bash .ci/run" for step in jobs["sqlite"]["steps"])
    mongodb = jobs["mongodb"]
    assert mongodb["services"]["mongo"]["image"] == "mongo:8"
    assert "--replSet rs0" in mongodb["services"]["mongo"]["command"]
    assert "rs.initiate()" in mongodb["services"]["mongo"]["options"]
    assert "--hostname mongo" in mongodb["services"]["mongo"]["options"]
    assert mongodb["env"]["MONGODB_URI"] == "mongodb://mongo:27017/shop?replicaSet=rs0"
    assert any(step.get("run") == "bash .ci/run" for step in mongodb["steps"])
    bench = jobs["bench"]
    assert bench["if"] == "github.event_name == 'workflow_dispatch' && inputs.bench"
    assert any(step.get("run") == "make bench" for step in bench["steps"])
    assert all("timeout-minutes" in job for job in jobs.values())


def test_compose_runs_the_outbox_worker_after_the_migration():
    worker = load(COMPOSE)["services"]["worker"]
    assert worker["entrypoint"] == ["python", "manage.py", "deliver_outbox", "--loop"]
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert (
        worker["environment"]["MONGODB_URI"] == load(COMPOSE)["services"]["app"]["environment"]["MONGODB_URI"]
    )
    assert "{uid}" in worker["environment"]["PASSWORD_RESET_URL"]
