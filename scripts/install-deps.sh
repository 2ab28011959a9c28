#!/usr/bin/env bash
# Installs the Debian packages of scripts/lib/debian-packages.txt (and any named on
# the command line) that are missing, with apt-get as root. Does nothing, and needs
# no root, when everything is there. Called by scripts/test.sh and by .ci/run's
# install step.
#
#   scripts/install-deps.sh             # the test packages
#   scripts/install-deps.sh systemd     # ... and systemd
#   scripts/install-deps.sh --check     # list what is missing; exit 1 if anything is
set -euo pipefail
cd "$(dirname "$0")/.."

check_only=0
extra=()
for arg in "$@"; do
    case $arg in
        --check) check_only=1 ;;
        -*) echo "usage: $0 [--check] [PACKAGE...]" >&2; exit 2 ;;
        *) extra+=("$arg") ;;
    esac
done

native=$(dpkg --print-architecture)
installed() { # PACKAGE: installed for this architecture (or arch-independent)
    dpkg-query -W -f='${Status} ${Architecture}\n' "$1" 2>/dev/null |
        grep -Eq "^install ok installed ($native|all)\$"
}

missing=()
while read -r package check; do
    check=${check%%#*}
    if [[ -n ${check// } ]] && sh -c "$check" >/dev/null 2>&1; then
        continue
    fi
    installed "$package" || missing+=("$package")
done < <(sed -e 's/^[[:space:]]*#.*//' -e 's/[[:space:]]#.*//' -e '/^[[:space:]]*$/d' scripts/lib/debian-packages.txt)
for package in "${extra[@]}"; do
    installed "$package" || missing+=("$package")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: every Debian package is installed" >&2
    exit 0
fi
echo "install-deps: missing: ${missing[*]}" >&2
[[ $check_only = 1 ]] && exit 1
if [[ $(id -u) != 0 ]]; then
    echo "install-deps: run as root, or: apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: installed ${missing[*]}" >&2
