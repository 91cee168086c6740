"""The connection builder (plugins/module_utils/_connection.py): option checks, config, the credential cache,
and the assumed-role session that botocore renews itself."""

from __future__ import annotations

import os
import stat

import pytest
from botocore.config import Config

from ansible_collections.accountguard.aws.plugins.module_utils import _connection as connection


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"connect_timeout": 10, "read_timeout": 20}, []),
        ({"connect_timeout": 0}, ["connect_timeout must be between 1 and 900 seconds, got 0"]),
        ({"read_timeout": 901}, ["read_timeout must be between 1 and 900 seconds, got 901"]),
        ({"assume_role_arn": None, "assume_role_duration_seconds": 60}, []),
        (
            {"assume_role_arn": "arn:aws:iam::111111111111:role/R", "assume_role_duration_seconds": 60},
            ["assume_role_duration_seconds must be between 900 and 43200 (inclusive), got 60"],
        ),
    ],
)
def test_connection_errors(params, errors):
    assert connection.connection_errors(params) == errors


def test_client_config_sets_retries_and_timeouts_and_lets_the_user_win():
    config = connection.client_config({"connect_timeout": 3, "read_timeout": 4})
    assert (config.connect_timeout, config.read_timeout) == (3, 4)
    assert config.retries == connection.BOTOCORE_RETRIES
    user = connection.client_config({"connect_timeout": 3, "read_timeout": 4}, Config(read_timeout=99))
    assert (user.connect_timeout, user.read_timeout) == (3, 99)


def test_cache_directory_is_private_and_per_endpoint(tmp_path):
    one = connection.cache_directory(str(tmp_path / "c"), "http://127.0.0.1:5000")
    other = connection.cache_directory(str(tmp_path / "c"), None)
    assert one != other
    assert os.path.dirname(one) == os.path.dirname(other) == str(tmp_path / "c")
    assert stat.S_IMODE(os.stat(one).st_mode) == 0o700


def test_connect_with_keys_uses_exactly_those_keys():
    clients = connection.connect(
        "us-east-1",
        "http://127.0.0.1:1",
        {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "secret", "verify": True},
        {"connect_timeout": 1, "read_timeout": 1},
    )
    iam = clients("iam")
    assert iam is clients("iam")  # one client per service
    credentials = iam.client._request_signer._credentials
    assert credentials.access_key == "AKIAEXAMPLE"


def test_connect_with_a_role_defers_the_assume_role(tmp_path):
    clients = connection.connect(
        "us-east-1",
        "http://127.0.0.1:1",
        {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "secret", "verify": True},
        {
            "assume_role_arn": "arn:aws:iam::111111111111:role/Audit",
            "assume_role_session_name": "s",
            "assume_role_duration_seconds": 900,
            "credential_cache_dir": str(tmp_path),
        },
    )
    credentials = clients("iam").client._request_signer._credentials
    # Nothing was fetched yet: botocore assumes the role on the first call and renews it before expiry.
    assert credentials.method == connection._AssumedRoleProvider.METHOD
    (scope,) = os.listdir(tmp_path)
    assert os.listdir(tmp_path / scope) == []  # no credentials cached yet


def test_a_regional_client_is_built_once_per_region_with_the_same_keys():
    clients = connection.connect(
        "us-east-1",
        "http://127.0.0.1:1",
        {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "secret", "verify": True},
        {"connect_timeout": 1, "read_timeout": 1},
    )
    assert clients.region == "us-east-1"
    here, west = clients("accessanalyzer"), clients("accessanalyzer", "eu-west-1")
    assert here.client.meta.region_name == "us-east-1"
    assert west.client.meta.region_name == "eu-west-1"
    assert west is clients("accessanalyzer", "eu-west-1") and west is not here
    assert west.client._request_signer._credentials.access_key == "AKIAEXAMPLE"
    assert west.client.meta.endpoint_url == "http://127.0.0.1:1"
