#!/usr/bin/env bash
# System packages the test suite needs: Debian's PostgreSQL server (the instance-storage test
# starts a throwaway cluster), Chromium and a CJK font (the UI test opens the Dagster UI headless
# and keeps screenshots in which the Chinese names must be legible).
# LibreOffice Calc (headless) writes the real-spreadsheet-program return in test_libreoffice.py.
# Idempotent: does nothing (and touches no network) when both are already installed.
set -euo pipefail
packages=(postgresql chromium fonts-wqy-microhei libreoffice-calc-nogui)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "ci-system-deps: missing ${missing[*]}; run as root to install them (tests needing them will skip)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "ci-system-deps: installed ${missing[*]}"
