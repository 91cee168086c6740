"""Secret files: private modes, never overwritten, unsafe directories refused (local filesystem only)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _secret_files as sf


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_write_creates_private_dirs_and_file_whatever_the_umask(tmp_path, loose_umask):
    base = tmp_path / "a" / "credentials"
    path = sf.password_file(str(base), "123456789012", "alice")
    sf.write_secret_file(path, {"password": "x"})
    assert path == str(base / "123456789012" / "alice.password.json")
    assert mode(path) == 0o600
    for directory in (tmp_path / "a", base, base / "123456789012"):
        assert mode(directory) == 0o700
    assert json.loads(Path(path).read_text(encoding="utf-8")) == {"password": "x"}


def test_existing_file_is_never_overwritten(tmp_path):
    path = sf.access_key_file(str(tmp_path / "c"), "123456789012", "bob", "AKIA1")
    sf.write_secret_file(path, {"secret_access_key": "first"})
    with pytest.raises(sf.SecretFileError, match="never overwritten"):
        sf.write_secret_file(path, {"secret_access_key": "second"})
    assert "first" in Path(path).read_text(encoding="utf-8")


def test_symlink_is_not_followed(tmp_path):
    target = tmp_path / "elsewhere"
    base = tmp_path / "c" / "123456789012"
    base.mkdir(parents=True)
    link = base / "eve.password.json"
    link.symlink_to(target)
    with pytest.raises(sf.SecretFileError):
        sf.write_secret_file(str(link), {"password": "x"})
    assert not target.exists()


@pytest.mark.parametrize(
    ("dir_mode", "problem"),
    [(0o700, None), (0o755, "accessible to other users (mode 0755)"), (0o770, "mode 0770")],
)
def test_directory_problem(tmp_path, dir_mode, problem):
    directory = tmp_path / "creds"
    directory.mkdir()
    directory.chmod(dir_mode)
    found = sf.directory_problem(str(directory))
    assert (found is None) if problem is None else (problem in found)


def test_check_target(tmp_path):
    assert sf.check_target(str(tmp_path / "new" / "dir"), "123456789012") == []
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    assert "is not a directory" in sf.check_target(str(not_a_dir), "123456789012")[0]


def test_ensure_dir_tolerates_a_concurrent_creator(tmp_path):
    existing = tmp_path / "x"
    existing.mkdir(mode=0o700)
    sf.ensure_dir(str(existing))
    sf.ensure_dir(str(existing / "y"))
    assert mode(existing / "y") == 0o700


def test_marker_is_private_replaced_atomically_read_and_removed(tmp_path, loose_umask):
    path = sf.pending_key_marker(str(tmp_path / "c"), "123456789012", "bob")
    assert path == str(tmp_path / "c" / "123456789012" / "bob.access-key-pending.json")
    assert sf.read_marker(path) is None
    sf.write_marker(path, {"started": "one"})
    assert mode(path) == 0o600
    assert mode(tmp_path / "c" / "123456789012") == 0o700
    # A marker left by an earlier run is replaced, not refused (unlike a secrets file).
    sf.write_marker(path, {"started": "two"})
    assert sf.read_marker(path) == {"started": "two"}
    assert sorted(os.listdir(os.path.dirname(path))) == ["bob.access-key-pending.json"], "no temporary file left"
    sf.remove_marker(path)
    assert sf.read_marker(path) is None
    sf.remove_marker(path)  # already gone: nothing to do


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", ""])
def test_unreadable_marker_still_counts(tmp_path, content):
    path = tmp_path / "bob.access-key-pending.json"
    path.write_text(content, encoding="utf-8")
    assert sf.read_marker(str(path)) == {}


def test_read_secret_file(tmp_path):
    path = sf.pending_login_marker(str(tmp_path), "123456789012", "alice")
    assert path.endswith("/123456789012/alice.login-profile-pending.json")
    good = tmp_path / "alice.password.json"
    good.write_text('{"password": "x"}', encoding="utf-8")
    assert sf.read_secret_file(str(good)) == {"password": "x"}
    for content in ("[]", "{broken"):
        good.write_text(content, encoding="utf-8")
        with pytest.raises(sf.SecretFileError):
            sf.read_secret_file(str(good))
    with pytest.raises(sf.SecretFileError, match="cannot read"):
        sf.read_secret_file(str(tmp_path / "missing.json"))
