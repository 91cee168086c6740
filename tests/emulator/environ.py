"""The environment of every process the tests, the demo and the benchmark start.

A developer's shell often carries AWS settings for real work: a profile, keys, a region, a config file, an
endpoint, a CA bundle, a web identity. Any of them, inherited, either breaks a run against the emulator (a
profile that does not exist here) or points it somewhere else. So no process we start inherits a single
``AWS_*`` variable: its environment is the parent's without them, plus exactly what the emulator needs.

    scrubbed_environ({"AWS_ENDPOINT_URL": url, ...})   # for subprocess.run(..., env=...)
    scrub_os_environ()                                  # for a process that is itself an emulator client
    python tests/emulator/environ.py NAME=VALUE ... -- command args   # for shell scripts (molecule, ansible-test)

Standard library only, and run as a file, not with -m: the emulator package imports it, and the shell
scripts run it before anything else is importable.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

# Everything boto3, botocore, the AWS CLI and amazon.aws read starts with this (AWS_PROFILE, AWS_REGION,
# AWS_ENDPOINT_URL_IAM, AWS_CA_BUNDLE, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONFIG_FILE, ...). MOTO_ACCOUNT_ID
# would make the emulator answer as another account than the one the tests seed.
DROPPED_PREFIXES = ("AWS_",)
DROPPED_NAMES = ("MOTO_ACCOUNT_ID",)
# The user's ~/.aws/config and ~/.aws/credentials are AWS settings too (a default region, endpoint_url,
# ca_bundle, credential_process): without the variables above boto3 would read them, so it reads nothing.
NO_AWS_FILES = {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}


def _dropped(name: str) -> bool:
    return name.upper().startswith(DROPPED_PREFIXES) or name.upper() in DROPPED_NAMES


def scrubbed_environ(settings: Mapping[str, str] | None = None, base: Mapping[str, str] | None = None) -> dict:
    """``base`` (default: this process's environment) without any AWS setting and with no AWS config or
    credentials file, then ``settings`` on top (a test that writes its own config file names it there)."""
    env = {name: value for name, value in (os.environ if base is None else base).items() if not _dropped(name)}
    env.update(NO_AWS_FILES)
    env.update(settings or {})
    return env


def scrub_os_environ() -> None:
    """Remove the AWS settings from this process's own environment.

    For processes that build boto3 clients of the emulator themselves (pytest, the demo, the benchmark):
    botocore reads AWS_PROFILE and friends from os.environ even when keys and endpoint are passed explicitly,
    and a profile that does not exist here fails every client.
    """
    clean = scrubbed_environ()
    for name in [name for name in os.environ if name not in clean]:
        del os.environ[name]
    os.environ.update(clean)


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        print("usage: python tests/emulator/environ.py [NAME=VALUE ...] -- command [args ...]", file=sys.stderr)
        return 2
    split = argv.index("--")
    settings = {}
    for item in argv[:split]:
        name, sep, value = item.partition("=")
        if not sep or not name:
            print(f"not NAME=VALUE: {item!r}", file=sys.stderr)
            return 2
        settings[name] = value
    command = argv[split + 1 :]
    os.execvpe(command[0], command, scrubbed_environ(settings))
    return 127  # not reached: execvpe replaces this process or raises


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
