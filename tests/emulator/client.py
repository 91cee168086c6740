"""The Python API of the emulator: start/stop the server process and drive it over HTTP.

This module never imports moto: the test process stays an ordinary AWS client, and everything that
patches moto lives in the server process (``emulator.server``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from emulator.environ import scrubbed_environ

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
MEMBER_ROLE_NAME = "OrganizationAccountAccessRole"
# moto accepts any credentials; these are the conventional fake ones.
FAKE_KEY_ID = "testing"
FAKE_SECRET = "testing"
INTERNAL_HEADER = "X-Emulator-Internal"
TESTS_DIR = Path(__file__).resolve().parents[1]


class EmulatorError(RuntimeError):
    pass


class Emulator:
    """A moto server with the emulator's patches, in its own process.

    Use it as a context manager, or call start()/stop(). ``Emulator(url=...)`` attaches to a server that is
    already running (for example one started by ``python -m emulator start``) without owning it.
    """

    def __init__(self, url: str | None = None, port: int = 0, log_file: str | os.PathLike | None = None):
        self.url = url
        self.port = port
        self.log_file = log_file
        self._proc: subprocess.Popen | None = None
        self._credentials: dict[str, dict] = {}
        self._clients: dict[tuple, object] = {}
        self._session = None
        # Tests and the bench build clients from several threads; a boto3 session is not thread-safe.
        self._lock = threading.RLock()
        # Assumed-role credentials that the collection caches (credential_cache_dir) are valid only for the
        # emulator state they were issued in: a reset starts a new cache, as it forgets the sessions.
        self._cache_root = tempfile.mkdtemp(prefix="accountguard-sts-cache-")
        self._cache_generation = 0

    # ----- lifecycle ---------------------------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> Emulator:
        if self.url:
            return self
        with tempfile.TemporaryDirectory(prefix="emulator-") as tmp:
            state_file = Path(tmp) / "state.json"
            self._proc = spawn(self.port, state_file, self.log_file)
            state = wait_for_state(state_file, self._proc, timeout)
        self.url = state["url"]
        self.wait_healthy(timeout)
        return self

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        self.url = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._control("GET", "health")
                return
            except (OSError, EmulatorError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    # ----- control endpoints -------------------------------------------------------------------------------

    def _control(self, method: str, route: str, body: dict | None = None, timeout: float = 60.0) -> dict:
        if not self.url:
            raise EmulatorError("the emulator is not running (call start() first)")
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.url}/_emulator/{route}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            with contextlib.suppress(ValueError):
                detail = json.loads(detail).get("error", detail)
            raise EmulatorError(f"emulator {route}: {detail}") from None

    def reset(self) -> None:
        """Forget every AWS resource, the root state, the request log and every switched-on behaviour."""
        self._control("POST", "reset", {})
        self._cache_generation += 1
        self._credentials.clear()
        self._clients.clear()

    def requests(self, account_id: str | None = None, writes_only: bool = False) -> list[dict]:
        body = {"writes_only": writes_only}
        if account_id is not None:
            body["account_id"] = str(account_id)
        return self._control("POST", "requests", body)["requests"]

    def issued_sessions(self) -> list[dict]:
        """Credentials handed out by ``sts:AssumeRole`` since the last reset (the test's own clients' included):
        ``[{"account_id", "role_arn", "session_name", "access_key_id", "secret_access_key", "session_token"}]``."""
        return self._control("POST", "sessions", {})["sessions"]

    def clear_requests(self) -> None:
        self._control("POST", "clear-requests", {})

    def set_root(
        self,
        account_id: str,
        access_keys: list[dict] | None = None,
        mfa: str = "none",
        password_last_used_days_ago: float | None = None,
        password: bool | None = None,
        signing_certificates: list[dict] | None = None,
    ) -> None:
        """Replace the root user state of one account (see README.md, "Root user state").

        ``password``: root has a console password (default: whether ``password_last_used_days_ago`` is given);
        ``signing_certificates``: at most two ``{"active": bool, "age_days": int}``.
        """
        self._control(
            "POST",
            "root",
            {
                "account_id": str(account_id),
                "access_keys": access_keys or [],
                "mfa": mfa,
                "password_last_used_days_ago": password_last_used_days_ago,
                "password": password,
                "signing_certificates": signing_certificates or [],
            },
        )

    def enable_root_access(self, features: tuple[str, ...] = ("RootCredentialsManagement", "RootSessions")) -> dict:
        """Turn centralized root access on in the Organization of the default (management) account: trusted
        access for iam.amazonaws.com, then the IAM features. Returns ListOrganizationsFeatures' answer. The calls
        are the test's own (not logged)."""
        self.client("organizations").enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
        iam = self.client("iam")
        for feature in features:
            getattr(iam, f"enable_organizations_{_snake(feature)}")()
        answer = iam.list_organizations_features()
        return {"OrganizationId": answer["OrganizationId"], "EnabledFeatures": answer["EnabledFeatures"]}

    def root_state(self, account_id: str) -> dict:
        """The account's root state as the emulator holds it, ids included: ``{"access_keys": [{"access_key_id",
        "active", "created", "last_used", "last_used_service"}], "mfa", "mfa_serial", "password",
        "password_last_used", "signing_certificates": [{"certificate_id", "active"}]}``."""
        return self._control("POST", "root-state", {"account_id": str(account_id)})["root"]

    def issued_root_sessions(self) -> list[dict]:
        """Credentials handed out by ``sts:AssumeRoot`` since the last reset, secrets included:
        ``[{"account_id", "caller_account_id", "task_policy_arn", "access_key_id", "secret_access_key",
        "session_token", "expiration"}]``."""
        return self._control("POST", "root-sessions", {})["sessions"]

    def expire_root_sessions(self, account_id: str | None = None) -> int:
        """End every ``sts:AssumeRoot`` session (into that account): their next call answers ExpiredToken."""
        body = {} if account_id is None else {"account_id": str(account_id)}
        return self._control("POST", "expire-root-sessions", body)["expired"]

    def backdate_access_key(
        self,
        account_id: str,
        user_name: str,
        access_key_id: str,
        created_days_ago: float | None = None,
        last_used_days_ago: float | None = None,
        last_used_service: str | None = None,
    ) -> None:
        self._control(
            "POST",
            "backdate-access-key",
            {
                "account_id": str(account_id),
                "user_name": user_name,
                "access_key_id": access_key_id,
                "created_days_ago": created_days_ago,
                "last_used_days_ago": last_used_days_ago,
                "last_used_service": last_used_service,
            },
        )

    def backdate_password_last_used(self, account_id: str, user_name: str, days_ago: float) -> None:
        self._control(
            "POST",
            "backdate-password-last-used",
            {"account_id": str(account_id), "user_name": user_name, "days_ago": days_ago},
        )

    def upload_server_certificate(
        self, account_id: str, name: str, not_after_days: float, path: str | None = None
    ) -> dict:
        """Upload a self-signed IAM server certificate made in the server that expires ``not_after_days`` from
        now (negative: expired that many days ago), as UploadServerCertificate would store it; no key material
        leaves the server. Returns {"name", "arn", "path", "server_certificate_id", "expiration"}."""
        return self._control(
            "POST",
            "server-certificate",
            {"account_id": str(account_id), "name": name, "not_after_days": not_after_days, "path": path},
        )["certificate"]

    def put_analyzer(
        self, account_id: str, region: str, name: str, type: str = "ACCOUNT", status: str = "ACTIVE"
    ) -> dict:
        """Store an IAM Access Analyzer analyzer in that account and region, in any status (``DISABLED`` and
        ``FAILED`` cannot be made through the API); returns its ``ListAnalyzers`` summary."""
        return self._control(
            "POST",
            "analyzer",
            {"account_id": str(account_id), "region": region, "name": name, "type": type, "status": status},
        )["analyzer"]

    def backdate_password_last_changed(self, account_id: str, user_name: str, days_ago: float) -> None:
        """Set the user's console password that many days ago (the report's password_last_changed,
        GetLoginProfile's CreateDate); the user must have one."""
        self._control(
            "POST",
            "backdate-password-last-changed",
            {"account_id": str(account_id), "user_name": user_name, "days_ago": days_ago},
        )

    def create_users(self, account_id: str, users: list[dict]) -> list[dict]:
        """Create many IAM users in one control call (thousands in a second, for scale tests and the bench).

        Each user: {"name", "path"?, "tags"? (dict), "groups"? (created when missing), "console"? (bool),
        "password_reset_required"?, "password_last_used_days_ago"?, "password_last_changed_days_ago"?,
        "mfa"? ("none"|"virtual"|"hardware"),
        "access_keys"? [{"active"?, "created_days_ago"?, "last_used_days_ago"?, "last_used_service"?}]}.
        Returns [{"name", "access_key_ids", "mfa_serial"}]. Not in the request log, like every control call.
        """
        return self._control("POST", "users", {"account_id": str(account_id), "users": users})["users"]

    def freeze_credential_report(self, account_id: str, hours_ago: float = 2.0) -> None:
        """Serve that account's credential report as it is now, generated hours_ago, until unfrozen or reset."""
        self._control("POST", "freeze-credential-report", {"account_id": str(account_id), "hours_ago": hours_ago})

    def unfreeze_credential_report(self, account_id: str) -> None:
        self._control("POST", "freeze-credential-report", {"account_id": str(account_id), "hours_ago": None})

    def deny_assume_role(self, account_id: str, deny: bool = True) -> None:
        """Make sts:AssumeRole into any role of that account fail with AccessDenied (deny=False undoes it)."""
        self._control("POST", "deny-assume-role", {"account_id": str(account_id), "deny": deny})

    def set_page_size(self, service_action: str, n: int | None) -> None:
        """Serve e.g. "organizations:ListAccounts" in pages of at most n (None restores moto's paging)."""
        self._control("POST", "page-size", {"action": service_action, "size": n})

    def set_faults(
        self,
        rate: float = 0.0,
        kinds: list[str] | None = None,
        accounts: list[str] | None = None,
        actions: list[str] | None = None,
        seed: int | None = None,
        slow_seconds: float = 2.0,
    ) -> None:
        """Fail a fraction of AWS calls (rate 0 switches faults off). See README.md for the kinds."""
        self._control(
            "POST",
            "faults",
            {
                "rate": rate,
                "kinds": kinds,
                "accounts": [str(a) for a in accounts] if accounts is not None else None,
                "actions": actions,
                "seed": seed,
                "slow_seconds": slow_seconds,
            },
        )

    def set_eventual_consistency(self, seconds: float) -> None:
        """Hide a newly created IAM user or group from reads for that many seconds (0 switches it off)."""
        self._control("POST", "eventual-consistency", {"seconds": seconds})

    def enforce_iam_authorization(self, enforce: bool = True) -> None:
        """Make moto check signatures and IAM policies on every call (least-privilege tests); reset() ends it.

        The test's own clients (``client()``, ``logged=False``) stay exempt so tests can still arrange state.
        """
        self._control("POST", "iam-authorization", {"enforce": enforce})

    def seed_demo(self, centralized_root_access: bool | None = None) -> dict:
        """Reset and seed the demo Organization (seed.py); ``centralized_root_access=False`` leaves it off."""
        from emulator.seed import seed_demo

        return seed_demo(self, centralized_root_access=centralized_root_access)

    # ----- AWS clients -------------------------------------------------------------------------------------

    def credentials(self, account_id: str | None = None) -> dict:
        """Credentials that act inside the account: fixed fake ones for the default account, otherwise those
        of an assumed OrganizationAccountAccessRole (moto maps them to the role's account)."""
        account_id = str(account_id or DEFAULT_ACCOUNT_ID)
        if account_id == DEFAULT_ACCOUNT_ID:
            return {"aws_access_key_id": FAKE_KEY_ID, "aws_secret_access_key": FAKE_SECRET}
        with self._lock:
            return self._assumed_credentials(account_id)

    def _assumed_credentials(self, account_id: str) -> dict:
        if account_id not in self._credentials:
            sts = self._client("sts", FAKE_KEY_ID, FAKE_SECRET, None, internal=True)
            creds = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account_id}:role/{MEMBER_ROLE_NAME}", RoleSessionName="emulator"
            )["Credentials"]
            self._credentials[account_id] = {
                "aws_access_key_id": creds["AccessKeyId"],
                "aws_secret_access_key": creds["SecretAccessKey"],
                "aws_session_token": creds["SessionToken"],
            }
        return self._credentials[account_id]

    def env(self, account_id: str | None = None) -> dict:
        """Environment variables for a subprocess (ansible-playbook) whose AWS calls act in that account."""
        creds = self.credentials(account_id)
        env = {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": creds["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": creds["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": DEFAULT_REGION,
            "AWS_REGION": DEFAULT_REGION,
            "ACCOUNTGUARD_CREDENTIAL_CACHE_DIR": os.path.join(self._cache_root, str(self._cache_generation)),
        }
        if creds.get("aws_session_token"):
            env["AWS_SESSION_TOKEN"] = creds["aws_session_token"]
        return env

    def client(self, service: str, account_id: str | None = None, logged: bool = False, region: str | None = None):
        """A boto3 client acting in that account (in ``region``, default us-east-1).

        By default its calls bypass the request log, fault injection, eventual consistency and AssumeRole
        denial, so tests can arrange state and read the ground truth without disturbing what they measure.
        ``logged=True`` makes it an ordinary client, as seen by the code under test.
        """
        creds = self.credentials(account_id)
        return self._client(
            service,
            creds["aws_access_key_id"],
            creds["aws_secret_access_key"],
            creds.get("aws_session_token"),
            internal=not logged,
            region=region,
        )

    def session_client(self, service: str, credentials: dict):
        """An ordinary (logged) boto3 client with credentials an STS call returned (``AssumeRoot``'s or
        ``AssumeRole``'s ``Credentials``), as the code under test would build it."""
        return self._client(
            service,
            credentials["AccessKeyId"],
            credentials["SecretAccessKey"],
            credentials.get("SessionToken"),
            internal=False,
        )

    def _client(
        self, service: str, key_id: str, secret: str, token: str | None, internal: bool, region: str | None = None
    ):
        with self._lock:
            return self._build_client(service, key_id, secret, token, internal, region or DEFAULT_REGION)

    def _build_client(self, service: str, key_id: str, secret: str, token: str | None, internal: bool, region: str):
        # Building a boto3 client costs a few hundred milliseconds; tests ask for the same few many times.
        cache_key = (self.url, service, key_id, internal, region)
        if cache_key in self._clients:
            return self._clients[cache_key]
        # Imported here: boto3 takes a second or two to import, and start/stop/status never need it.
        import boto3
        from botocore.config import Config

        if self._session is None:
            self._session = boto3.session.Session(botocore_session=_isolated_botocore_session())
        client = self._session.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=Config(retries={"mode": "standard", "max_attempts": 3}),
        )
        if internal:
            client.meta.events.register("before-sign", _mark_internal)
        self._clients[cache_key] = client
        return client


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _isolated_botocore_session():
    """A botocore session that reads no AWS_* variable and no ~/.aws file.

    The emulator's clients get endpoint, region and keys explicitly; without this a user's AWS_PROFILE (a
    profile that does not exist here) would still fail every one of them, whoever started the process.
    """
    import botocore.session
    from botocore.configprovider import BOTOCORE_DEFAUT_SESSION_VARIABLES

    # (config file key, environment variable(s), default, conversion) per setting: drop the variables.
    without_env = {
        name: (config_key, None, default, convert)
        for name, (config_key, _env, default, convert) in BOTOCORE_DEFAUT_SESSION_VARIABLES.items()
    }
    session = botocore.session.Session(session_vars=without_env)
    session.set_config_variable("config_file", os.devnull)
    session.set_config_variable("credentials_file", os.devnull)
    return session


def _mark_internal(request, **kwargs) -> None:
    request.headers[INTERNAL_HEADER] = "1"


def spawn(port: int, state_file: Path, log_file: str | os.PathLike | None, detach: bool = False) -> subprocess.Popen:
    """Start ``python -m emulator serve``. A detached server outlives its parent (the CLI's ``start``); an
    attached one stops by itself when the process that started it dies, so a killed pytest leaves no server."""
    # The server must not inherit credentials, a profile or an endpoint meant for the code under test.
    env = scrubbed_environ(
        {
            "PYTHONPATH": os.pathsep.join(p for p in (str(TESTS_DIR), os.environ.get("PYTHONPATH", "")) if p),
            "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
        }
    )
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--state-file", str(state_file)]
            + ([] if detach else ["--parent-pid", str(os.getpid())]),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT if log_file else subprocess.DEVNULL,
            start_new_session=detach,
        )
    finally:
        if log_file:
            out.close()


def wait_for_state(state_file: Path, proc: subprocess.Popen, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while not state_file.exists():
        if proc.poll() is not None:
            raise EmulatorError(
                f"the emulator process exited with code {proc.returncode} before listening"
                " (pass log_file= to Emulator, or see the log beside the CLI's state file)"
            )
        if time.monotonic() > deadline:
            proc.kill()
            raise EmulatorError(f"the emulator did not start listening within {timeout:.0f} s")
        time.sleep(0.05)
    return json.loads(state_file.read_text(encoding="utf-8"))
