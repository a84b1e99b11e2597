#!/usr/bin/env bash
# The whole test suite, as the README and CI run it:
#   scripts/test.sh
# Installs the system packages the end-to-end tests drive (Postfix,
# miltertest, swaks, and headless Chromium with chromedriver for the browser
# tests) when they are missing and we are root, then checks
# formatting and lints, runs every test, and runs the shared contract examples.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v postfix >/dev/null 2>&1 || [ -x /usr/sbin/postfix ] || need+=(postfix)
command -v miltertest >/dev/null 2>&1 || need+=(miltertest)
command -v swaks >/dev/null 2>&1 || need+=(swaks)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "warning: ${need[*]} missing and not root: the Postfix and browser end-to-end tests will fail or skip" >&2
  fi
fi

# The OpenID Connect provider the single sign-on tests sign in against
# (tests/console_oidc.rs): PyPI's oidc-provider-mock in its own virtualenv
# under target/ (no system pip install). Missing python3: those tests skip
# loudly, or fail with DLP_REQUIRE_PEERS=1.
if [ ! -x target/oidc-venv/bin/oidc-provider-mock ] && command -v python3 >/dev/null 2>&1; then
  python3 -m venv target/oidc-venv &&
    target/oidc-venv/bin/pip install -q 'oidc-provider-mock>=0.3,<0.4' ||
    echo "warning: oidc-provider-mock could not be installed: the single sign-on tests will skip" >&2
fi

# axe-core, the accessibility checker the browser tests run inside
# Chromium on every console and self-service page (WCAG 2.1 A/AA), from the
# npm registry into target/axe (no global install). Missing npm: those tests
# skip loudly, or fail with DLP_REQUIRE_PEERS=1.
if [ ! -f target/axe/node_modules/axe-core/axe.min.js ]; then
  if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null || true
  fi
  if command -v npm >/dev/null 2>&1; then
    npm install --silent --no-audit --no-fund --prefix target/axe 'axe-core@>=4.10 <5' ||
      echo "warning: axe-core could not be installed: the accessibility tests will skip" >&2
  else
    echo "warning: npm missing: axe-core not installed, the accessibility tests will skip" >&2
  fi
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
scripts/check-arrows.sh
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi

# The Debian package, installed with dpkg -i on this (throwaway CI) machine
# and purged again: after the parallel tests, since it creates the system
# user and /var/lib/dlp-milter that a test's default data directory would
# otherwise pick up. Exit 77 = skipped (not root, or a dlp-milter package
# it did not make is installed here); DLP_REQUIRE_PEERS=1 makes that fatal.
set +e
scripts/deb-test.sh
deb_rc=$?
set -e
if [ "$deb_rc" = 77 ] && [ -z "${DLP_REQUIRE_PEERS:-}" ]; then
  echo "deb-test skipped" >&2
elif [ "$deb_rc" != 0 ]; then
  exit "$deb_rc"
fi

# Every fuzz target for 20 s from its seeds (a crash, hang or blow-up fails;
# docs/development.md, "Fuzzing"). cargo-fuzz is installed once if missing.
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --quiet --locked cargo-fuzz
FUZZ_JOBS=2 scripts/fuzz.sh 20

# The scan JSON contract examples shipped beside the repository, when present.
if [ -f ../shared/contract-examples/check.py ]; then
  cargo build --locked --quiet
  python3 ../shared/contract-examples/check.py --bin target/debug/dlp-milter
fi
