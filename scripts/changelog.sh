#!/usr/bin/env bash
# Changelog tasks (antsibull-changelog); the version always comes from galaxy.yml.
#
#   scripts/changelog.sh lint      check changelogs/fragments/*.yml
#   scripts/changelog.sh preview   write CHANGELOG.md with the pending fragments as the galaxy.yml version,
#                                  without consuming them (make changelog; make build, in its copy)
#   scripts/changelog.sh release   cut the release for real: fragments move into changelogs/changelog.yaml
#                                  and are deleted; commit the result together with the version bump
#
# Environment:
#   VENV            the virtual environment whose antsibull-changelog is used (default: .venv)
#   CHANGELOG_ROOT  the collection tree to work on (default: this checkout; scripts/build.sh passes its copy)
set -euo pipefail

# Everything runs inside main, which bash parses completely before running it: editing this file while a
# run is in progress (a shared working tree) cannot make the running copy execute a shifted line.
main() {
  cmd=${1:-preview}
  checkout=$(cd "$(dirname "$0")/.." && pwd)
  root=${CHANGELOG_ROOT:-$checkout}
  venv=${VENV:-$checkout/.venv}
  [[ $venv == /* ]] || venv=$checkout/$venv
  export PATH=$venv/bin:$PATH
  cd "$root"

  case "$cmd" in
    lint)
      exec antsibull-changelog lint
      ;;
    preview) ;;
    release)
      # ansible-doc has to see the collection to list the new plugins and modules of the release.
      make --no-print-directory collection-link
      exec antsibull-changelog release --reload-plugins
      ;;
    *)
      echo "usage: $0 lint|preview|release" >&2
      exit 2
      ;;
  esac

  antsibull-changelog lint

  # A release consumes fragments, so the preview releases a throw-away copy and keeps only CHANGELOG.md.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  copy=$tmp/ansible_collections/accountguard/aws
  mkdir -p "$copy"
  tar -cf - galaxy.yml changelogs plugins meta | tar -xf - -C "$copy"

  # While others work on plugins, one with broken documentation must not hide every other entry: the
  # preview tolerates it (ansible-test sanity is what rejects broken docs), the real release does not.
  cat >"$tmp/ansible-doc" <<EOF
#!/bin/sh
exec "$venv/bin/ansible-doc" --no-fail-on-errors "\$@"
EOF
  chmod +x "$tmp/ansible-doc"

  version=$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
  released=$(python - "$version" <<'EOF'
import sys, yaml
releases = yaml.safe_load(open("changelogs/changelog.yaml")).get("releases") or {}
print("yes" if sys.argv[1] in releases else "no")
EOF
  )
  extra=()
  if [[ $released == yes ]]; then extra=(--update-existing); fi
  (
    cd "$copy"
    ANSIBLE_COLLECTIONS_PATH=$tmp antsibull-changelog release --ansible-doc-bin "$tmp/ansible-doc" "${extra[@]}" >/dev/null
  )
  cp "$copy/CHANGELOG.md" CHANGELOG.md
  if [[ $released == no ]]; then
    # Say plainly that the top section has not been released yet.
    python - "$version" <<'EOF'
import pathlib
import sys

path = pathlib.Path("CHANGELOG.md")
heading = "## v" + sys.argv[1].replace(".", "\\.")
path.write_text(path.read_text().replace(heading + "\n", heading + " \\(unreleased\\)\n", 1))
EOF
  fi
  echo "CHANGELOG.md written (version $version from galaxy.yml, released: $released)"
}

main "$@"
