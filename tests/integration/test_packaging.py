"""The Galaxy artifact round trip, the execution environment context and the changelog fragments.

What a user gets is the tarball, not the checkout: it is built, checked for things that must never ship,
installed with ansible-galaxy into an empty collections path, and then a module and the baseline playbook
run *from the installed copy* (an ansible.cfg that knows nothing of the checkout) against the emulator.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import tarfile
from fnmatch import fnmatch
from pathlib import Path

import pytest
import yaml
from helpers.ansible_run import BIN, ROOT, ansible_env

SESSION_TASK = "Open the account session and verify the account (account guard)"
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
TARBALL = f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"

# Paths that must never be in the artifact (fnmatch on each member's path and on each path component).
FORBIDDEN_COMPONENTS = [
    ".venv*",
    ".build",
    ".ansible",
    ".git",
    ".ci",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".cache",
    "reports",
    "credentials",
]
FORBIDDEN_PATHS = ["tests/output*", "bench/results*", "*.pyc", "*.tar.gz", "*.log", "*.retry", ".coverage*"]
# A copy of the shippable files gets one of each planted, so every rule is exercised on every run, even on a
# fresh clone where none of these exist yet.
PLANTED = [
    ".venv-other/lib/site.py",
    ".ansible/collections/x.txt",
    ".build/dist/old.tar.gz",
    ".cache/pip/x",
    ".pytest_cache/v/cache/nodeids",
    "plugins/modules/__pycache__/x.cpython-311.pyc",
    "reports/latest.json",
    "credentials/123456789012/alice.yml",
    "inventories/demo/credentials/alice.yml",
    "bench/results/run.json",
    "tests/output/junit/x.xml",
    "emulator.log",
    "accountguard-aws-0.0.1.tar.gz",
]
REQUIRED = [
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "meta/runtime.yml",
    "meta/execution-environment.yml",
    "requirements.txt",
    "plugins/modules/iam_password_policy.py",
    "plugins/modules/root_key_check.py",
    "plugins/modules/iam_mfa_status.py",
    "changelogs/changelog.yaml",
]


def run(cmd: list[str], *, cwd: Path = ROOT, env: dict | None = None, timeout: int = 300):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def build(source: Path, output: Path) -> Path:
    run([str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(output), str(source)])
    artifact = output / TARBALL
    assert artifact.is_file()
    return artifact


def shippable_files() -> list[str]:
    """What git would ship: tracked and untracked-but-not-ignored files that exist."""
    out = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]).stdout
    return [p for p in out.split("\0") if p and (ROOT / p).is_file()]


def forbidden(members: list[str]) -> list[str]:
    bad = []
    for member in members:
        parts = member.split("/")
        if any(fnmatch(part, pattern) for part in parts for pattern in FORBIDDEN_COMPONENTS) or any(
            fnmatch(member, pattern) for pattern in FORBIDDEN_PATHS
        ):
            bad.append(member)
    return bad


def members_of(artifact: Path) -> list[str]:
    with tarfile.open(artifact) as tar:
        return [m.name.removeprefix("./") for m in tar.getmembers()]


def make_build(output: Path) -> Path:
    """What `make build` runs: scripts/build.sh, with this test's ansible-galaxy."""
    run([str(ROOT / "scripts" / "build.sh"), str(output)], env={**os.environ, "VENV": str(BIN.parent)})
    artifact = output / TARBALL
    assert artifact.is_file()
    return artifact


@pytest.fixture(scope="module")
def artifact(tmp_path_factory) -> Path:
    """The artifact built from the checkout itself, exactly as `make build` does."""
    return make_build(tmp_path_factory.mktemp("dist"))


def git_status() -> str:
    return run(["git", "status", "--porcelain", "--untracked-files=all"]).stdout


def test_build_packs_tracked_files_only_and_leaves_the_checkout_as_it_was(tmp_path):
    """A user's inventory beside the collection (untracked, not ignored) never ships, and building rewrites
    no tracked file (CHANGELOG.md is generated into the build's own copy)."""
    mine = ROOT / "inventories" / f"mine-{os.getpid()}"
    mine.mkdir()
    try:
        (mine / "hosts.yml").write_text("all:\n  hosts:\n    my-account:\n", encoding="utf-8")
        before = git_status()
        assert f"inventories/{mine.name}/hosts.yml" in before
        members = members_of(make_build(tmp_path / "dist"))
        assert git_status() == before
    finally:
        shutil.rmtree(mine)
    assert [m for m in members if m.startswith(f"inventories/{mine.name}")] == []
    tracked = set(run(["git", "ls-files"]).stdout.splitlines())
    generated = {"MANIFEST.json", "FILES.json"}
    files = {m for m in members if m not in generated and not (ROOT / m).is_dir()}
    assert sorted(files - tracked) == []
    assert "CHANGELOG.md" in files


@pytest.fixture(scope="module")
def installed(artifact, tmp_path_factory) -> dict:
    """The artifact installed into an empty collections path, with an ansible.cfg that only knows that path."""
    home = tmp_path_factory.mktemp("installed")
    collections = home / "collections"
    cfg = home / "ansible.cfg"
    # The venv's Python for modules: interpreter discovery could find some other python3 on PATH.
    cfg.write_text(
        f"[defaults]\ncollections_path = {collections}\nretry_files_enabled = False\n"
        f"interpreter_python = {BIN / 'python'}\n",
        encoding="utf-8",
    )
    env = ansible_env({"ANSIBLE_CONFIG": str(cfg), "ANSIBLE_HOME": str(home / ".ansible")})
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    # Galaxy is unreachable here and amazon.aws already comes with the ansible package, hence offline and
    # without dependency resolution; a real user runs `ansible-galaxy collection install <tarball>`.
    install = [str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "--no-deps"]
    run([*install, "-p", str(collections), str(artifact)], cwd=home, env=env)
    path = collections / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    return {"home": home, "env": env, "path": path}


def test_artifact_has_the_collection_and_nothing_that_must_not_ship(artifact):
    members = members_of(artifact)
    assert forbidden(members) == []
    assert [name for name in REQUIRED if name not in members] == []
    with tarfile.open(artifact) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
        assert not [m.name for m in tar.getmembers() if m.issym() or m.islnk()]
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == (
        GALAXY["namespace"],
        GALAXY["name"],
        GALAXY["version"],
    )
    assert info["dependencies"] == GALAXY["dependencies"]


def test_build_ignore_leaves_out_planted_junk(tmp_path):
    """Every kind of local state next to the shippable files is left out by galaxy.yml's build_ignore."""
    source = tmp_path / "src"
    for rel in shippable_files():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, source / rel)
    for rel in PLANTED:
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_text("must not ship\n", encoding="utf-8")
    members = members_of(build(source, tmp_path / "dist"))
    assert [rel for rel in PLANTED if rel in members] == []
    assert forbidden(members) == []
    assert "plugins/modules/iam_password_policy.py" in members


def test_installed_copy_is_the_one_ansible_uses(installed):
    out = run(
        [str(BIN / "ansible-galaxy"), "collection", "list", "accountguard.aws", "--format", "json"],
        cwd=installed["home"],
        env=installed["env"],
    ).stdout
    paths = list(json.loads(out))
    assert paths == [str(installed["path"].parent.parent)]
    doc = run(
        [str(BIN / "ansible-doc"), "--json", "accountguard.aws.iam_password_policy"],
        cwd=installed["home"],
        env=installed["env"],
    ).stdout
    assert json.loads(doc)["accountguard.aws.iam_password_policy"]["doc"]["filename"].startswith(str(installed["path"]))


def playbook(installed: dict, args: list[str], env: dict) -> dict:
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), *args],
        cwd=installed["home"],
        env={**installed["env"], **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    start = proc.stdout.find("{")
    data = json.loads(proc.stdout[start:]) if start >= 0 else {}
    return {"rc": proc.returncode, "data": data, "stdout": proc.stdout, "stderr": proc.stderr}


def task_results(result: dict, host: str) -> list[dict]:
    return [
        {**task["hosts"][host], "_task": task["task"]["name"]}
        for play in result["data"].get("plays", [])
        for task in play.get("tasks", [])
        if host in task.get("hosts", {})
    ]


def test_module_from_installed_copy_checks_then_enforces(installed, emulator, tmp_path):
    play = [
        {
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "password policy",
                    "accountguard.aws.iam_password_policy": {"minimum_password_length": 14, "require_symbols": True},
                }
            ],
        }
    ]
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump(play), encoding="utf-8")
    iam = emulator.client("iam")

    emulator.clear_requests()
    checked = playbook(installed, [str(path), "-i", "localhost,", "--check"], emulator.env())
    assert checked["rc"] == 0, checked["stdout"] + checked["stderr"]
    assert task_results(checked, "localhost")[-1]["changed"] is True
    assert emulator.requests(writes_only=True) == []
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_account_password_policy()

    applied = playbook(installed, [str(path), "-i", "localhost,"], emulator.env())
    assert applied["rc"] == 0, applied["stdout"] + applied["stderr"]
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert (policy["MinimumPasswordLength"], policy["RequireSymbols"]) == (14, True)


def yaml_blocks(markdown: Path) -> list[str]:
    """The ```yaml code blocks of a Markdown file."""
    blocks, current = [], None
    for line in markdown.read_text(encoding="utf-8").splitlines():
        if current is None and line.strip() == "```yaml":
            current = []
        elif current is not None and line.strip() == "```":
            blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


@pytest.mark.skipif(
    not (ROOT / "playbooks" / "baseline.yml").is_file(), reason="the baseline playbook is not in this checkout"
)
def test_quick_start_check_run_from_installed_copy(installed, emulator, tmp_path):
    """docs/quick-start.md, as a new user follows it: the documented inventory, an AWS profile, AWS_REGION,
    the installed collection's playbook by name, --check --diff. The emulator stands in for the real account."""
    inventory = next(b for b in yaml_blocks(ROOT / "docs" / "quick-start.md") if "aws_account_id" in b)
    host = yaml.safe_load(inventory)["all"]["children"]["aws_accounts"]["hosts"]["my-account"]
    assert set(host) == {"aws_account_id", "aws_profile"}
    (tmp_path / "inventory").mkdir()
    (tmp_path / "inventory" / "hosts.yml").write_text(inventory, encoding="utf-8")
    # The profile holds the credentials; nothing else may provide them (AWS_ENDPOINT_URL is the only stand-in).
    emu = emulator.env(host["aws_account_id"])
    (tmp_path / "credentials").write_text(
        f"[{host['aws_profile']}]\naws_access_key_id = {emu['AWS_ACCESS_KEY_ID']}\n"
        f"aws_secret_access_key = {emu['AWS_SECRET_ACCESS_KEY']}\n",
        encoding="utf-8",
    )
    (tmp_path / "config").write_text(f"[profile {host['aws_profile']}]\n", encoding="utf-8")
    env = {
        "AWS_ENDPOINT_URL": emu["AWS_ENDPOINT_URL"],
        "AWS_REGION": "eu-central-1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_REGION",
    ):
        installed["env"].pop(name, None)
    emulator.clear_requests()
    result = playbook(
        installed, ["accountguard.aws.baseline", "-i", str(tmp_path / "inventory"), "--check", "--diff"], env
    )
    assert result["rc"] == 0, result["stdout"][-3000:] + result["stderr"][-3000:]
    stats = result["data"]["stats"]
    assert set(stats) == {"my-account"}
    assert stats["my-account"]["failures"] == 0 and stats["my-account"]["unreachable"] == 0
    results = task_results(result, "my-account")
    guard = next(r for r in results if r["_task"].endswith(SESSION_TASK))
    assert guard["ok"] and guard["account_id"] == host["aws_account_id"]
    # A fresh account has no custom password policy and no Cloudadmin group: the check must see drift...
    assert any(r.get("changed") for r in results)
    # ...and change nothing.
    assert emulator.requests(writes_only=True) == []
    assert {r["account_id"] for r in emulator.requests()} == {host["aws_account_id"]}


def needs_tool(name: str):
    # The release tools live in the main .venv; `make test-newest` runs this file with a leaner venv.
    return pytest.mark.skipif(not (BIN / name).exists(), reason=f"{name} is not installed in {BIN.parent}")


@needs_tool("ansible-builder")
def test_execution_environment_context(artifact, tmp_path):
    """ansible-builder create (no container engine needed) yields a context that installs this artifact."""
    dist = tmp_path / "project" / ".build" / "dist"
    dist.mkdir(parents=True)
    shutil.copy2(artifact, dist / artifact.name)
    for name in ("execution-environment.yml", "requirements.yml", "requirements.txt"):
        shutil.copy2(ROOT / name, tmp_path / "project" / name)
    context = tmp_path / "context"
    run(
        [str(BIN / "ansible-builder"), "create", "--file", "execution-environment.yml", "--context", str(context)],
        cwd=tmp_path / "project",
    )
    containerfile = next(p for p in (context / "Containerfile", context / "Dockerfile") if p.is_file()).read_text()
    build_dir = context / "_build"
    assert (build_dir / "collections" / artifact.name).is_file()
    galaxy_reqs = yaml.safe_load((build_dir / "requirements.yml").read_text())
    assert {c["name"] for c in galaxy_reqs["collections"]} >= {"amazon.aws"}
    assert "boto3" in (build_dir / "requirements.txt").read_text()
    galaxy_stage = containerfile.split("FROM base AS galaxy", 1)[1].split("FROM base AS builder", 1)[0]
    assert "/build/collections/accountguard-aws-*.tar.gz" in galaxy_stage
    assert "COPY --from=galaxy /usr/share/ansible /usr/share/ansible" in containerfile.split("AS final", 1)[1]


@needs_tool("antsibull-changelog")
def test_changelog_fragments_lint_clean():
    run([str(BIN / "antsibull-changelog"), "lint"], env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"})


def load_findings_table() -> dict:
    """CONTROLS of plugins/module_utils/_findings.py (standard library only, so loaded by path)."""
    spec = importlib.util.spec_from_file_location("_findings", ROOT / "plugins" / "module_utils" / "_findings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def markdown_rows(text: str, header_start: str) -> list[list[str]]:
    """Cells of the table whose header row starts with header_start."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def cis_cell(cell: str) -> list[str]:
    return [] if cell in ("", "—", "-") else [part.strip() for part in cell.split(",")]


def test_cis_mapping_page_agrees_with_the_findings_table():
    findings = load_findings_table()
    text = (ROOT / "docs" / "cis-mapping.md").read_text(encoding="utf-8")
    versions = findings.CIS_VERSIONS
    columns = " | ".join(f"CIS v{version.replace('cis-aws-', '')}" for version in versions)
    documented = {}
    for cells in markdown_rows(text, f"| control id | {columns} |"):
        documented[cells[0].strip("`")] = {v: cis_cell(cells[1 + i]) for i, v in enumerate(versions)}
    in_code = {
        cid: {version: control["cis"].get(version, []) for version in versions}
        for cid, control in findings.CONTROLS.items()
    }
    assert documented == in_code
    per_check = {}
    for cells in markdown_rows(text, f"| control id | check | {columns} |"):
        per_check.setdefault(cells[0].strip("`"), []).append(
            tuple(cis_cell(cells[2 + i]) for i in range(len(versions)))
        )
    in_code_checks = {
        cid: sorted(tuple(c.get(version, []) for version in versions) for c in control["checks"].values())
        for cid, control in findings.CONTROLS.items()
        if control["checks"]
    }
    assert {cid: sorted(rows) for cid, rows in per_check.items()} == in_code_checks


def test_docs_yaml_examples_parse_and_local_links_resolve():
    broken = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        for block in yaml_blocks(page):
            try:
                list(yaml.safe_load_all(block))
            except yaml.YAMLError as exc:
                broken.append(f"{page.name}: {exc}")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.name}: link to {target}")
    assert broken == []


def test_the_role_and_the_collection_claim_the_same_oldest_ansible_core():
    """meta/runtime.yml's requires_ansible and the role's min_ansible_version name one version, the oldest the
    CI matrix tests (docs/ci.md)."""
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    role = yaml.safe_load((ROOT / "roles" / "baseline" / "meta" / "main.yml").read_text(encoding="utf-8"))
    oldest = re.fullmatch(r">=\s*([0-9.]+)", runtime["requires_ansible"]).group(1)
    assert oldest.removesuffix(".0") == str(role["galaxy_info"]["min_ansible_version"]).removesuffix(".0")
