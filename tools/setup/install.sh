#!/usr/bin/env bash
# Installs what the tests and the lab need on a fresh Debian 12 machine (run as root):
# the Debian packages listed in debian-packages.txt, then the npm packages from the lockfile.
set -euo pipefail
cd "$(dirname "$0")/../.."

export DEBIAN_FRONTEND=noninteractive
# Postfix asks for a mail setup on install; the tests render their own configuration.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
mapfile -t packages < <(grep -v -e '^\s*#' -e '^\s*$' tools/setup/debian-packages.txt | sort -u)
if [ "${#packages[@]}" -gt 0 ]; then
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${packages[@]}"
fi
npm ci --no-audit --no-fund
