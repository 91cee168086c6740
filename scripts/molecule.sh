#!/usr/bin/env bash
# `make molecule`: the molecule scenarios of the roles (extensions/molecule/) against the local AWS emulator.
# Picks a free port for the emulator and points the AWS SDK at it before molecule starts, because every
# molecule step is its own ansible-playbook run; the scenario's prepare starts the emulator on that port and
# its cleanup stops it (and so does this script, should molecule stop early).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$root/.venv/bin:$PATH"
export PYTHONPATH="$root/tests${PYTHONPATH:+:$PYTHONPATH}"
export ANSIBLE_CONFIG="$root/ansible.cfg"
mkdir -p .build/molecule
EMULATOR_PORT=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export EMULATOR_PORT
export EMULATOR_STATE_FILE="$root/.build/molecule/emulator.json"
# The drift report callback is not what molecule tests; keep its files out of the tree.
export ACCOUNTGUARD_REPORT_DIR="$root/.build/molecule/reports"
trap 'python -m emulator stop >/dev/null 2>&1 || true' EXIT
# None of the caller's AWS settings reach molecule, its playbooks or the emulator: the environment is the
# caller's without any AWS_* variable, plus the emulator's management account, from which every host assumes
# its own role. Nothing reaches AWS.
python tests/emulator/environ.py \
  AWS_ENDPOINT_URL="http://127.0.0.1:$EMULATOR_PORT" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 \
  -- molecule test --all "$@"
