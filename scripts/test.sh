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
cargo clippy -p server --no-default-features --quiet -- -D warnings  # the production build, no sandbox

apt_install redis-server  # the Redis session-store test starts its own redis-server
# localstripe, the fake Stripe: the reseller's Stripe tests start their own, and so does
# Playwright (end2end/playwright.config.ts), both through LOCALSTRIPE_BIN
ensure_localstripe
export LOCALSTRIPE_BIN
# maildev (npm, end2end/node_modules): the SMTP server the e-mail tests (server/tests/it/mail.rs)
# start on free ports, and Playwright too (end2end/playwright.config.ts)
ensure_npm_packages
export MAILDEV_BIN="$ROOT/end2end/node_modules/maildev/bin/maildev"
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

# The seed data, the calendars and the hold times follow the clock, so the suite runs again at
# dates that change what is on screen: the last day of a month late in the evening (UTC), the
# night the clocks change in Europe, and a leap day in another year. libfaketime shifts the
# wall clock of what the run starts (Playwright, the shop and its sandbox, the identity
# provider) by the same offset; monotonic clocks (timeouts) stay real. Chromium keeps the real
# clock (playwright.config.ts), like a buyer whose clock differs from the shop's.
apt_install faketime
FAKETIME_LIB="$(dpkg -L libfaketime | grep '/libfaketime\.so\.1$' | head -n1)"
for at in "2027-02-28 22:45" "2027-03-27 23:30" "2028-02-29 12:00"; do
  offset=$(( $(date -u -d "$at" +%s) - $(date -u +%s) ))
  log "Playwright with the clock at $at UTC"
  (cd "$ROOT/end2end" && FAKETIME="$(printf '%+d' "$offset")" FAKETIME_DONT_FAKE_MONOTONIC=1 \
    LD_PRELOAD="$FAKETIME_LIB" npx playwright test)
done

log "all checks passed in $(( $(date +%s) - START )) s"
