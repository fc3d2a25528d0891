#!/usr/bin/env bash
# Make sure the system programs the test suite drives are present:
#   - PostgreSQL server binaries (initdb, pg_ctl) for the PostgreSQL store tests;
#   - Chromium for the browser tests;
#   - npm, which installs axe-core (the accessibility checker the browser tests run in the page).
# Installs them from the distribution's packages when missing and we may (root + apt-get);
# otherwise says exactly what to install and fails. Never skips silently.
set -euo pipefail

missing=()
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null && ! command -v initdb > /dev/null; then
    missing+=(postgresql)
fi
if ! command -v chromium > /dev/null && [ ! -x /usr/bin/chromium ]; then
    missing+=(chromium)
fi
if ! command -v npm > /dev/null; then
    missing+=(npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    echo "Installing system packages for the tests: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
    exit 0
fi
echo "The test suite needs these system packages: ${missing[*]}" >&2
echo "Install them, e.g.: sudo apt-get install ${missing[*]}" >&2
exit 1
