#!/usr/bin/env bash
# Install the Debian packages GAUSS Studio uses, when apt is available and we may use it.
# Without apt (or root) it says exactly what is missing and how to get it; it never fails the build,
# because each feature that needs a program checks for it and explains itself at run time.
set -u
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  # A fresh machine has no package lists: try first, update and retry on failure.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/gauss-apt.log 2>&1; then
    apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/gauss-apt.log 2>&1 \
      || { echo "apt-get install failed (see /tmp/gauss-apt.log); missing: ${missing[*]}"; exit 0; }
  fi
elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then
  echo "Installing Debian packages with sudo: ${missing[*]}"
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || echo "Could not install: ${missing[*]}"
else
  echo "GAUSS Studio: these Debian packages are missing and apt is not available: ${missing[*]}"
  echo "  install them with your system's package manager (xtb: proxy labels and relaxations;"
  echo "  openmolcas: LoProp and CASSCF; chromium: browser tests). Features that need them will say so."
fi
exit 0
