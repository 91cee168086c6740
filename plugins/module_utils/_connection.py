# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How every backend of the collection talks to AWS: one boto3 session per account, one retry policy.

Both front ends (the module process and the controller-side action plugin) resolve the amazon.aws connection
options with amazon.aws's own helper (profile, keys, region, ``endpoint_url``, ``aws_config`` behave as in
every amazon.aws module) and hand the result to :func:`connect`, which adds what amazon.aws lacks:

- an assumed role whose credentials botocore itself fetches and renews (its ``AssumeRoleCredentialFetcher``
  with a JSON file cache, as the AWS CLI does), so no task variable ever holds session credentials and every
  task of a run shares one ``sts:AssumeRole`` per account until it nears expiry;
- a connect and a read timeout on every call, so an endpoint that accepts connections and never answers fails
  the account in bounded time instead of hanging the run;
- clients wrapped in amazon.aws's ``RetryingBotoClientWrapper``: a call retries throttling with jittered backoff
  when it passes ``aws_retry=True``.
"""

from __future__ import annotations

import functools
import hashlib
import os

try:
    import boto3
    import botocore.session
    from botocore.config import Config
    from botocore.credentials import (
        AssumeRoleCredentialFetcher,
        CredentialProvider,
        CredentialResolver,
        DeferredRefreshableCredentials,
        JSONFileCache,
    )
except ImportError:  # AnsibleAWSModule reports the missing library; the action plugin falls back to it

    class CredentialProvider:  # type: ignore[no-redef]
        pass


from ansible.module_utils.basic import env_fallback
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper

# botocore retries throttling, 5xx, timeouts and dropped connections, 6 attempts with at most
# 1 + 2 + 4 + 8 + 16 s of backoff; a user's aws_config still wins. On top, each call that passes aws_retry=True
# retries the throttling codes twice more with short jittered sleeps: amazon.aws's defaults (10 tries, up to
# 60 s each) would multiply to minutes per call (docs/reliability.md, "Giving up").
BOTOCORE_RETRIES = {"mode": "standard", "max_attempts": 6}
RETRY_DECORATOR = AWSRetry.jittered_backoff(retries=2, delay=2, max_delay=5)
DEFAULT_CONNECT_TIMEOUT = 10
DEFAULT_READ_TIMEOUT = 20
USER_AGENT_EXTRA = "accountguard.aws"
DEFAULT_CACHE_DIR = "~/.ansible/accountguard/sts-cache"

# Options of every module of the collection that talks to AWS, on top of amazon.aws's (doc fragment
# accountguard.aws.connection).
CONNECTION_ARGUMENT_SPEC = dict(
    assume_role_arn=dict(type="str"),
    assume_role_session_name=dict(type="str", default="accountguard"),
    assume_role_duration_seconds=dict(type="int", default=3600),
    assume_role_external_id=dict(type="str", no_log=False),
    credential_cache_dir=dict(type="path", fallback=(env_fallback, ["ACCOUNTGUARD_CREDENTIAL_CACHE_DIR"])),
    connect_timeout=dict(type="int", default=DEFAULT_CONNECT_TIMEOUT),
    read_timeout=dict(type="int", default=DEFAULT_READ_TIMEOUT),
)
CONNECTION_OPTIONS = tuple(CONNECTION_ARGUMENT_SPEC)
TIMEOUT_RANGE = (1, 900)


def connection_errors(params: dict) -> list[str]:
    """Problems with the connection options, found before any API call."""
    errors = []
    low, high = TIMEOUT_RANGE
    for name in ("connect_timeout", "read_timeout"):
        value = params.get(name)
        if value is not None and not low <= value <= high:
            errors.append(f"{name} must be between {low} and {high} seconds, got {value}")
    duration = params.get("assume_role_duration_seconds")
    if params.get("assume_role_arn") and duration is not None and not 900 <= duration <= 43200:
        errors.append(f"assume_role_duration_seconds must be between 900 and 43200 (inclusive), got {duration}")
    return errors


class _AssumedRoleProvider(CredentialProvider):
    """The only credential source of an assumed-role session: botocore refreshes it before expiry."""

    METHOD = "accountguard-assume-role"
    CANONICAL_NAME = "accountguard-assume-role"

    def __init__(self, fetcher):
        super().__init__()
        self._fetcher = fetcher

    def load(self):
        return DeferredRefreshableCredentials(refresh_using=self._fetcher.fetch_credentials, method=self.METHOD)


def cache_directory(cache_dir: str | None, endpoint_url: str | None) -> str:
    """The file cache of assumed-role credentials: one private folder per endpoint, so credentials of one
    endpoint (a local emulator) are never offered to another (AWS)."""
    root = os.path.expanduser(cache_dir or DEFAULT_CACHE_DIR)
    scope = hashlib.sha256((endpoint_url or "aws").encode()).hexdigest()[:16]
    path = os.path.join(root, scope)
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def client_config(params: dict, user_config=None):
    """botocore Config: the collection's retries and timeouts, then the user's aws_config on top."""
    config = Config(
        user_agent_extra=USER_AGENT_EXTRA,
        retries=dict(BOTOCORE_RETRIES),
        connect_timeout=params.get("connect_timeout") or DEFAULT_CONNECT_TIMEOUT,
        read_timeout=params.get("read_timeout") or DEFAULT_READ_TIMEOUT,
    )
    return config.merge(user_config) if user_config is not None else config


class Clients:
    """The clients of one account for one task: built lazily, one per service."""

    def __init__(self, session, *, region, endpoint_url, verify, config):
        self._session = session
        self._kwargs = dict(region_name=region, endpoint_url=endpoint_url, verify=verify, config=config)
        self._clients = {}

    def with_credentials(self, credentials: dict) -> Clients:
        """Clients of the same endpoint, region and settings, signed with short-term ``Credentials`` an STS answer
        returned (an ``sts:AssumeRoot`` session): held in memory for this task only, never cached or returned."""
        session = boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials.get("SessionToken"),
        )
        clients = Clients.__new__(Clients)
        clients._session = session
        clients._kwargs = dict(self._kwargs)
        clients._clients = {}
        return clients

    def __call__(self, service: str, region: str | None = None):
        """The client of ``service`` in the task's region, or in ``region`` (a regional service read region by
        region, as IAM Access Analyzer): same session, endpoint and settings."""
        key = service if region is None else (service, region)
        if key not in self._clients:
            kwargs = self._kwargs if region is None else {**self._kwargs, "region_name": region}
            raw = self._session.client(service, **kwargs)
            self._clients[key] = RetryingBotoClientWrapper(raw, RETRY_DECORATOR)
        return self._clients[key]

    @property
    def region(self) -> str | None:
        """The task's region (the connection options', else botocore's default chain)."""
        return self._kwargs.get("region_name") or self._session.region_name


def connect(region, endpoint_url, boto_params: dict, params: dict, loader=None) -> Clients:
    """Clients for the account the options lead to.

    ``region``, ``endpoint_url`` and ``boto_params`` are amazon.aws's resolution of its connection options
    (``get_aws_connection_info``); ``params`` holds this collection's connection options
    (CONNECTION_ARGUMENT_SPEC). ``loader`` is a botocore data loader to share (the controller's warm one).
    """
    boto_params = dict(boto_params)
    verify = boto_params.pop("verify", None)
    config = client_config(params, boto_params.pop("aws_config", None))
    base = botocore.session.Session(profile=boto_params.pop("profile_name", None))
    if loader is not None:
        base.register_component("data_loader", loader)
    if boto_params.get("aws_access_key_id"):
        base.set_credentials(
            boto_params["aws_access_key_id"], boto_params["aws_secret_access_key"], boto_params.get("aws_session_token")
        )
    session = base
    if params.get("assume_role_arn"):
        session = _assumed_role_session(base, params, region, endpoint_url, verify, config, loader)
    return Clients(
        boto3.session.Session(botocore_session=session),
        region=region,
        endpoint_url=endpoint_url,
        verify=verify,
        config=config,
    )


def _assumed_role_session(base, params, region, endpoint_url, verify, config, loader):
    extra_args = {
        "RoleSessionName": params.get("assume_role_session_name") or "accountguard",
        "DurationSeconds": params.get("assume_role_duration_seconds") or 3600,
    }
    if params.get("assume_role_external_id"):
        extra_args["ExternalId"] = params["assume_role_external_id"]
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=functools.partial(
            base.create_client, region_name=region, endpoint_url=endpoint_url, verify=verify, config=config
        ),
        source_credentials=base.get_credentials(),
        role_arn=params["assume_role_arn"],
        extra_args=extra_args,
        cache=JSONFileCache(cache_directory(params.get("credential_cache_dir"), endpoint_url)),
    )
    assumed = botocore.session.Session()
    if loader is not None:
        assumed.register_component("data_loader", loader)
    assumed.register_component("credential_provider", CredentialResolver(providers=[_AssumedRoleProvider(fetcher)]))
    return assumed
