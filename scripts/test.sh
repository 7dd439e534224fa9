#!/usr/bin/env bash
# Every check: formatting, lints, all Rust tests, and the Playwright suite in Debian's Chromium
# against the real server binary. Installs what is missing. Exits non-zero on any failure.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
START=$(date +%s)

log "cargo fmt --check"
cargo fmt --all --check

log "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings
cargo clippy -p frontend --all-targets --quiet -- -D warnings

apt_install redis-server  # the Redis session-store test starts its own redis-server
log "Rust tests (unit, contract and integration)"
if cargo nextest --version >/dev/null 2>&1; then
  # one process per test; a hung test is killed after 3 minutes (.config/nextest.toml)
  cargo nextest run --cargo-quiet --no-fail-fast
else
  timeout 2400 cargo test --quiet
fi

ensure_chromium
"$ROOT/scripts/build.sh"

log "Playwright (Chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'))"
export SHOP_BIN="$TARGET_DIR/debug/shop"
export LEPTOS_SITE_ROOT="$SITE_DIR"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
(cd "$ROOT/end2end" && npx playwright test)

log "all checks passed in $(( $(date +%s) - START )) s"
