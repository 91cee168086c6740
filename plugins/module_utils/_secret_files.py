# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Files that hold the secrets accountguard.aws creates (initial passwords, secret access keys).

Private to accountguard.aws: no compatibility promise outside the collection.

Layout: ``<credentials_dir>/<account_id>/<user>.password.json`` and ``<user>.<access_key_id>.json``.
Directories are 0700 and files 0600, created exclusively: an existing file is never overwritten, so a
secret handed out once cannot be silently replaced by another.

``<user>.access-key-pending.json`` is a marker, not a secret: written (durably) just before CreateAccessKey
and removed once the new key's secret is in its file. A marker that outlives its run means the run died in
between, so a key of that user without a secrets file may be one whose secret nobody ever received.
``<user>.login-profile-pending.json`` is written before the password file and removed once
CreateLoginProfile succeeded: beside a password file and no login profile, it means that password was never
in use, so the next run may create the login profile with it instead of refusing to replace the file.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Callable
from datetime import UTC, datetime

DIR_MODE = 0o700
FILE_MODE = 0o600


class SecretFileError(Exception):
    pass


def account_dir(credentials_dir: str, account_id: str) -> str:
    return os.path.join(credentials_dir, account_id)


def password_file(credentials_dir: str, account_id: str, user_name: str) -> str:
    return os.path.join(account_dir(credentials_dir, account_id), f"{user_name}.password.json")


def access_key_file(credentials_dir: str, account_id: str, user_name: str, access_key_id: str) -> str:
    return os.path.join(account_dir(credentials_dir, account_id), f"{user_name}.{access_key_id}.json")


def pending_key_marker(credentials_dir: str, account_id: str, user_name: str) -> str:
    return os.path.join(account_dir(credentials_dir, account_id), f"{user_name}.access-key-pending.json")


def pending_login_marker(credentials_dir: str, account_id: str, user_name: str) -> str:
    return os.path.join(account_dir(credentials_dir, account_id), f"{user_name}.login-profile-pending.json")


def read_secret_file(path: str) -> dict:
    """The JSON of a secrets file this collection wrote; SecretFileError when it is not one."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as e:
        raise SecretFileError(f"cannot read {path}: {e}") from e
    if not isinstance(data, dict):
        raise SecretFileError(f"{path} is not a secrets file of accountguard.aws")
    return data


def directory_problem(path: str) -> str | None:
    """Why secrets must not go into ``path`` (an existing directory), or None when it is fit."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return f"{path} cannot be created: a parent of it is not a directory"
    if not stat.S_ISDIR(info.st_mode):
        return f"{path} exists and is not a directory"
    if info.st_mode & 0o077:
        return (
            f"{path} is accessible to other users (mode {stat.S_IMODE(info.st_mode):04o}); "
            "secrets are only written to a directory of mode 0700"
        )
    if not os.access(path, os.W_OK | os.X_OK):
        return f"{path} is not writable"
    return None


def check_target(credentials_dir: str, account_id: str) -> list[str]:
    """Problems that would stop a secret from being written, found before any AWS write."""
    problems = []
    for path in (credentials_dir, account_dir(credentials_dir, account_id)):
        problem = directory_problem(path)
        if problem:
            problems.append(problem)
            break
    if not problems and not os.path.exists(credentials_dir):
        parent = os.path.dirname(os.path.abspath(credentials_dir))
        while not os.path.exists(parent):
            parent = os.path.dirname(parent)
        if not os.access(parent, os.W_OK | os.X_OK):
            problems.append(f"cannot create {credentials_dir}: {parent} is not writable")
    return problems


def ensure_dir(path: str) -> None:
    """Create ``path`` and any missing parents with mode 0700 (an existing directory is left as it is)."""
    missing = []
    current = os.path.abspath(path)
    while not os.path.isdir(current):
        missing.append(current)
        current = os.path.dirname(current)
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:
            # Another writer made it meanwhile; it must still be a directory.
            if not os.path.isdir(directory):
                raise
            continue
        # mkdir's mode is filtered by the umask; the secret directory must be 0700 whatever the umask.
        os.chmod(directory, DIR_MODE)


def _create_json_file(path: str, data: dict) -> None:
    """Create ``path`` (mode 0600, never an existing file, never through a symlink) holding ``data`` as JSON, on disk.

    Raises FileExistsError if ``path`` exists. A file that could not be written whole is removed: a half-written
    secret or marker is worse than none.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fd, FILE_MODE)
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")
            # Durable before the caller goes on (a pending marker is removed next): a power cut must not
            # leave a marker-free account whose only copy of the secret was in the page cache.
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        remove_quietly(path)
        raise


def write_secret_file(path: str, data: dict) -> None:
    """Write ``data`` as JSON to a new file of mode 0600; never overwrite, never follow a symlink."""
    ensure_dir(os.path.dirname(path))
    try:
        _create_json_file(path, data)
    except FileExistsError as e:
        raise SecretFileError(f"{path} already exists; it is never overwritten (move it away first)") from e


def write_marker(path: str, data: dict) -> None:
    """Write ``data`` (no secret) to ``path`` atomically and durably, replacing an older marker."""
    directory = os.path.dirname(path)
    ensure_dir(directory)
    temporary = f"{path}.{os.getpid()}.tmp"
    remove_quietly(temporary)
    _create_json_file(temporary, data)
    try:
        os.replace(temporary, path)
    except BaseException:
        remove_quietly(temporary)
        raise
    _sync_directory(directory)


def read_marker(path: str) -> dict | None:
    """The marker at ``path``; None when there is none. An unreadable marker still counts (as ``{}``)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remove_marker(path: str) -> None:
    remove_quietly(path)
    _sync_directory(os.path.dirname(path))


def _sync_directory(path: str) -> None:
    # The rename or unlink itself must survive a power cut, not only the file's bytes.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


# --- the protocol around a call that creates a secret ----------------------------------------------------------
# The AWS call is handed in: this file only orders file writes around it.


def _now() -> str:
    return datetime.now(UTC).isoformat()


def resume_login_profile(credentials_dir: str, account_id: str, user_name: str, create: Callable[[str], None]) -> str:
    """Create the login profile with the password a run that died before CreateLoginProfile left; return its file.

    That password was never in use, and the file stays the operator's one copy. On failure file and marker
    both stay, for the next run.
    """
    path = password_file(credentials_dir, account_id, user_name)
    password = read_secret_file(path).get("password")
    if not isinstance(password, str) or not password:
        raise SecretFileError(f"{path} holds no password; move it away to create a new login profile")
    create(password)
    remove_marker(pending_login_marker(credentials_dir, account_id, user_name))
    return path


def store_login_profile(
    credentials_dir: str,
    account_id: str,
    user_name: str,
    password: str,
    reset_required: bool,
    create: Callable[[str], None],
    may_have_landed: Callable[[BaseException], bool],
) -> str:
    """Write ``password`` to its file, then ``create(password)`` the login profile; return the file."""
    path = password_file(credentials_dir, account_id, user_name)
    marker = pending_login_marker(credentials_dir, account_id, user_name)
    write_marker(marker, {"account_id": account_id, "user_name": user_name, "started": _now()})
    # The file first: if it cannot be written, no login profile exists whose password nobody knows.
    try:
        write_secret_file(
            path,
            {
                "account_id": account_id,
                "user_name": user_name,
                "console_sign_in_url": f"https://{account_id}.signin.aws.amazon.com/console",
                "password": password,
                "password_reset_required": reset_required,
                "created": _now(),
            },
        )
    except BaseException:
        remove_marker(marker)
        raise
    try:
        create(password)
    except Exception as error:
        # Refused: nothing uses this password, drop it. Perhaps landed: keep file and marker, so the next run
        # either finds the login profile (and the operator holds its password) or resumes with it.
        if not may_have_landed(error):
            remove_quietly(path)
            remove_marker(marker)
        raise
    remove_marker(marker)
    return path


def store_access_key(
    credentials_dir: str,
    account_id: str,
    user_name: str,
    create: Callable[[], dict],
    delete: Callable[[str], object],
) -> tuple[dict, str, dict]:
    """Mark, ``create()`` an access key (CreateAccessKey's AccessKey), write its secret to its file.

    Returns the key, its file and the marker, which stays on disk: the caller removes it once it has checked
    that no other key appeared meanwhile (a retried CreateAccessKey whose first answer was lost).
    """
    marker_path = pending_key_marker(credentials_dir, account_id, user_name)
    marker = {"account_id": account_id, "user_name": user_name, "started": _now()}
    # On disk before the key exists: if the run dies before the secret is saved, the next run knows the key
    # it finds was made here and that nobody received its secret.
    write_marker(marker_path, marker)
    key = create()
    path = access_key_file(credentials_dir, account_id, user_name, key["AccessKeyId"])
    try:
        write_secret_file(
            path,
            {
                "account_id": account_id,
                "user_name": user_name,
                "access_key_id": key["AccessKeyId"],
                "secret_access_key": key["SecretAccessKey"],
                "created": _now(),
            },
        )
    except (OSError, SecretFileError):
        # A key whose secret is lost is useless and a liability: remove it, then fail.
        delete(key["AccessKeyId"])
        remove_marker(marker_path)
        raise
    return key, path, marker
