#!/usr/bin/env bash
# The whole test suite, as the README and CI run it:
#   scripts/test.sh
# Installs the system packages the end-to-end tests drive (Postfix,
# miltertest, swaks) when they are missing and we are root, then checks
# formatting and lints, runs every test, and runs the shared contract examples.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v postfix >/dev/null 2>&1 || [ -x /usr/sbin/postfix ] || need+=(postfix)
command -v miltertest >/dev/null 2>&1 || need+=(miltertest)
command -v swaks >/dev/null 2>&1 || need+=(swaks)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "warning: ${need[*]} missing and not root: the Postfix end-to-end tests will fail" >&2
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

# Every fuzz target for 20 s from its seeds (a crash, hang or blow-up fails;
# docs/development.md, "Fuzzing"). cargo-fuzz is installed once if missing.
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --quiet --locked cargo-fuzz
FUZZ_JOBS=2 scripts/fuzz.sh 20

# The scan JSON contract examples shipped beside the repository, when present.
if [ -f ../shared/contract-examples/check.py ]; then
  cargo build --locked --quiet
  python3 ../shared/contract-examples/check.py --bin target/debug/dlp-milter
fi
