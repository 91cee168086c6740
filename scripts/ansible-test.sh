#!/usr/bin/env bash
# Run ansible-test (sanity or units) on this checkout, without containers.
#
#   scripts/ansible-test.sh sanity [extra ansible-test args]   # e.g. --test validate-modules
#   scripts/ansible-test.sh units  [extra ansible-test args]
#
# Environment:
#   VENV          the virtual environment whose ansible-test and Python are used (default: .venv)
#   AT_WORKDIR    where the copy is made (default: .build/ansible-test[-<venv name>])
#   AT_SOURCE     worktree (default: tracked + untracked-not-ignored files as they are now) or head (the last
#                 commit only, e.g. to check what is committed while others have work in progress)
#
# Sanity runs its Python-version-dependent tests (compile, import) on every Python the collection claims
# (tests/config.yml) that this ansible-test supports and that is installed: python3.X on PATH or pyenv's.
# Units run on the venv's Python. Neither is offline: ansible-test builds a virtual environment per sanity
# test and Python version under ~/.ansible/test/venv (`make` points HOME into .build/home) and installs its
# pinned tools there from the configured package index; only its get-pip download is replaced (below).
#
# Nothing of the caller's AWS set-up reaches the tests: ansible-test runs in the environment
# tests/emulator/environ.py builds (no AWS_* variable, no ~/.aws file).
#
# Why a copy: ansible-test only accepts a collection that sits at a real
# .../ansible_collections/<namespace>/<name> path (a symlink is rejected), and the repository root is the
# collection root. The copy holds exactly the files git would ship (tracked plus untracked-but-not-ignored),
# so a stray .venv, .build or cache never reaches the sanity tests.
set -euo pipefail

# Everything runs inside main, which bash parses completely before running it: editing this file while a
# run is in progress (a shared working tree) cannot make the running copy execute a shifted line.
main() {
  cmd=${1:-}
  case "$cmd" in
    sanity | units) shift ;;
    *)
      echo "usage: $0 sanity|units [ansible-test options]" >&2
      exit 2
      ;;
  esac

  root=$(cd "$(dirname "$0")/.." && pwd)
  venv=${VENV:-$root/.venv}
  [[ $venv == /* ]] || venv=$root/$venv
  python=$venv/bin/python
  if [[ ! -x $python || ! -x $venv/bin/ansible-test ]]; then
    echo "$venv has no ansible-test; run 'make venv' first" >&2
    exit 2
  fi
  py_version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  venv_name=$(basename "$venv")
  workdir=${AT_WORKDIR:-$root/.build/ansible-test${venv_name#.venv}}
  dest=$workdir/ansible_collections/accountguard/aws

  # Several people (and CI jobs) share one tree: serialise runs that use the same copy.
  mkdir -p "$workdir"
  exec 9>"$workdir/.lock"
  if ! flock -n 9; then
    echo "waiting for another ansible-test run in $workdir ..." >&2
    flock 9
  fi

  # ansible-test bootstraps pip in every sanity virtual environment with a get-pip script it downloads from
  # ci-files.testing.ansible.com, which is not reachable here. It first looks in its cache for
  # get_pip_<version>.py, so a stand-in there makes it work offline: ensurepip gives the venv a pip, and that
  # pip installs what ansible-test asked for (the pinned pip itself) from the configured package index.
  pip_version=$("$python" - <<'EOF'
import pathlib, re
import ansible_test
source = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([0-9.]+)'", source.read_text()).group(1))
EOF
  )
  cache=$HOME/.ansible/test/cache
  get_pip=$cache/get_pip_${pip_version//./_}.py
  marker="# accountguard.aws offline stand-in for get-pip.py"
  if [[ ! -e $get_pip ]] || grep -qF "$marker" "$get_pip"; then
    mkdir -p "$cache"
    cat >"$get_pip.tmp" <<EOF
$marker
# ansible-test runs this as get-pip.py: its arguments are pip install arguments plus get-pip's own flags.
import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], stdout=subprocess.DEVNULL)
args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--quiet", *args]))
EOF
    mv "$get_pip.tmp" "$get_pip"
  fi

  # Fresh copy every run: a file deleted from the checkout must not linger in the copy.
  rm -rf "$dest"
  mkdir -p "$dest"
  cd "$root"
  if [[ ${AT_SOURCE:-worktree} == head ]]; then
    git archive --format=tar HEAD | tar -xf - -C "$dest"
  elif git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' f; do
        # --cached still lists tracked files deleted in the work tree; skip them.
        if [[ -e $f || -L $f ]]; then printf '%s\0' "$f"; fi
      done |
      tar --null --no-recursion -cf - -T - | tar -xf - -C "$dest"
  else
    tar --exclude='./.venv*' --exclude=./.build --exclude=./.git --exclude='__pycache__' \
      --exclude=./.pytest_cache --exclude=./.ruff_cache --exclude=./tests/output -cf - . | tar -xf - -C "$dest"
  fi

  # ansible-test resolves the collection's dependencies only inside the same ansible_collections tree. amazon.aws
  # comes with the PyPI ansible package in the venv (Galaxy is unreachable here); link it in beside us.
  amazon_aws=$("$python" -c 'import ansible_collections.amazon.aws as m; print(list(m.__path__)[0])')
  mkdir -p "$workdir/ansible_collections/amazon"
  ln -sfn "$amazon_aws" "$workdir/ansible_collections/amazon/aws"

  cd "$dest"
  # ansible-test looks for .git upwards; without one here it would find the checkout's own repository, in
  # which .build/ is ignored, and see no files at all. An empty repository makes it list the copy's files.
  git init -q .
  export PATH=$venv/bin:$PATH
  unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS ANSIBLE_CONFIG
  scrubbed=("$python" "$root/tests/emulator/environ.py" --)
  local test skips
  case "$cmd" in
    sanity)
      claimed_pythons "$workdir/pythons"
      skips=()
      for test in $(unreachable_sanity_tools); do skips+=(--skip-test "$test"); done
      PATH=$workdir/pythons:$PATH "${scrubbed[@]}" "$venv/bin/ansible-test" sanity --local --color no "${skips[@]}" "$@"
      ;;
    units)
      "${scrubbed[@]}" "$venv/bin/ansible-test" units --local --python "$py_version" --color no "$@"
      ;;
  esac
}

# Sanity tests whose pinned tools this machine cannot install: ansible-test pins some straight from a URL
# instead of the package index (ansible-core 2.22.0rc1's pylint takes dill from a GitHub archive). Such a test
# is skipped, saying so, rather than aborting every sanity test after it; where its tools come from the index,
# as in the released ansible-core versions CI also runs, it runs.
unreachable_sanity_tools() {
  "$python" - <<'EOF'
import pathlib
import re
import sys
import urllib.request

import ansible_test

requirements = pathlib.Path(ansible_test.__file__).parent / "_data" / "requirements"
for path in sorted(requirements.glob("sanity.*.txt")):
    test = path.name.removeprefix("sanity.").removesuffix(".txt")
    for name, url in re.findall(r"^([A-Za-z0-9_.-]+) @ (https?://\S+)", path.read_text(), re.MULTILINE):
        try:
            urllib.request.urlopen(urllib.request.Request(url.split("#")[0], method="HEAD"), timeout=10).close()
        except OSError as exc:
            print(f"sanity: skipping {test}: ansible-test pins {name} to {url.split('#')[0]}, unreachable ({exc})",
                  file=sys.stderr)
            print(test)
            break
EOF
}

# A directory of python3.X links, one per Python version that tests/config.yml claims, this ansible-test
# supports and this machine has; ansible-test finds target Pythons on PATH by that name.
claimed_pythons() {
  local dir=$1 version interpreter candidate found=() missing=()
  rm -rf "$dir"
  mkdir -p "$dir"
  for version in $("$python" - "$root/tests/config.yml" <<'EOF'
import sys

import yaml
from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS
from packaging.specifiers import SpecifierSet

config = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
claimed = SpecifierSet(config["modules"]["python_requires"])
print(" ".join(v for v in SUPPORTED_PYTHON_VERSIONS if claimed.contains(v + ".0")))
EOF
  ); do
    interpreter=
    # pyenv's own interpreter first: its shims on PATH exist for every installed version but fail for those
    # not activated, so each candidate has to prove it runs and is that version.
    for candidate in "$(pyenv prefix "$version" 2>/dev/null)/bin/python$version" "$(command -v "python$version")"; do
      if [[ $candidate == /* ]] && [[ $("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) == "$version" ]]; then
        interpreter=$candidate
        break
      fi
    done
    if [[ -n $interpreter ]]; then
      ln -sfn "$interpreter" "$dir/python$version"
      found+=("$version")
    else
      missing+=("$version")
    fi
  done
  echo "sanity: Python ${found[*]:-none}${missing[*]:+ (claimed but not installed, skipped: ${missing[*]})}" >&2
}

main "$@"
