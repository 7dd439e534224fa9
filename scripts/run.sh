#!/usr/bin/env bash
# Runs the shop with the embedded S-360 sandbox on http://127.0.0.1:3000 (LEPTOS_SITE_ADDR).
# Installs what is missing, builds (release), then serves.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$ROOT/scripts/build.sh" --release
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$SITE_DIR}"
log "serving on http://${LEPTOS_SITE_ADDR:-127.0.0.1:3000} (Ctrl-C to stop)"
cd "$ROOT"
exec "$TARGET_DIR/release/shop"
