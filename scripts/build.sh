#!/usr/bin/env bash
# `make build`: the Galaxy artifact from the tracked files only, without touching the checkout.
#
#   scripts/build.sh [OUTPUT_DIR]     # default .build/dist
#
# Environment:
#   VENV            the virtual environment whose ansible-galaxy builds the artifact (default: .venv)
#   CHANGELOG_VENV  the one whose antsibull-changelog writes CHANGELOG.md (default: VENV)
#
# Why a copy: ansible-galaxy packs everything in the directory that galaxy.yml's build_ignore does not name,
# so a user's own inventory (inventories/mine/), a stray credentials file or a draft would ship. The copy
# holds exactly the tracked files (`git ls-files`, as they are in the work tree). CHANGELOG.md is generated
# from changelogs/ into the copy, so the artifact's changelog is current and the tracked one is left alone.
set -euo pipefail

# Everything runs inside main, which bash parses completely before running it: editing this file while a
# run is in progress (a shared working tree) cannot make the running copy execute a shifted line.
main() {
  root=$(cd "$(dirname "$0")/.." && pwd)
  venv=${VENV:-$root/.venv}
  [[ $venv == /* ]] || venv=$root/$venv
  output=${1:-$root/.build/dist}
  [[ $output == /* ]] || output=$PWD/$output

  cd "$root"
  if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "$root is not a git work tree: the artifact is built from the tracked files only" >&2
    exit 2
  fi
  mkdir -p "$root/.build"
  tmp=$(mktemp -d "$root/.build/build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  src=$tmp/src
  mkdir -p "$src"
  git ls-files -z --cached |
    while IFS= read -r -d '' f; do
      # --cached still lists tracked files deleted in the work tree; skip them.
      if [[ -e $f || -L $f ]]; then printf '%s\0' "$f"; fi
    done |
    tar --null --no-recursion -cf - -T - | tar -xf - -C "$src"

  VENV=${CHANGELOG_VENV:-$venv} CHANGELOG_ROOT=$src "$root/scripts/changelog.sh" preview

  rm -rf "$output"
  mkdir -p "$output"
  "$venv/bin/ansible-galaxy" collection build --force --output-path "$output" "$src"
}

main "$@"
