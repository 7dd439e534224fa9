#!/usr/bin/env bash
# Builds the site (hydration bundle + styles + static files) and the server binary.
#   scripts/build.sh [--release]
# --release: server in release mode (the wasm bundle is always size-optimised).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PROFILE=dev
[ "${1:-}" = "--release" ] && PROFILE=release

# one build at a time per target dir (parallel runs would race on target/site)
mkdir -p "$TARGET_DIR"
exec 9>"$TARGET_DIR/.build.lock"
flock 9

ensure_wasm_toolchain
ensure_wasm_bindgen
ensure_npm_packages

log "building the browser bundle (wasm32, std rebuilt from source)"
# Debian's cargo first on PATH for this step only; build-std never goes in .cargo/config.toml
(cd "$ROOT" && PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1 \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/lib/llvm-22/bin/wasm-ld \
  CARGO_TARGET_DIR="$WASM_TARGET_DIR" \
  /usr/bin/cargo build -p frontend --lib --target wasm32-unknown-unknown \
    -Zbuild-std=std,panic_abort --profile wasm-release --quiet)

WASM="$WASM_TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm"
mkdir -p "$SITE_DIR/pkg"
STAMP="$SITE_DIR/pkg/.built-from"
if [ ! -f "$STAMP" ] || [ "$WASM" -nt "$STAMP" ]; then
  log "wasm-bindgen + wasm-opt"
  wasm-bindgen --target web --out-name shop --out-dir "$SITE_DIR/pkg" "$WASM"
  "$ROOT/end2end/node_modules/.bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types \
    "$SITE_DIR/pkg/shop_bg.wasm" -o "$SITE_DIR/pkg/shop.wasm"
  rm -f "$SITE_DIR/pkg/shop_bg.wasm"
  touch "$STAMP"
fi
# main.css first, then one file per area (style/*.css), as one stylesheet
cat "$ROOT/style/main.css" $(ls "$ROOT"/style/*.css | grep -v "/main.css$" | sort) > "$SITE_DIR/pkg/shop.css"
cp -r "$ROOT/public/." "$SITE_DIR/"
# the gate's camera decoder where the browser has no BarcodeDetector (public/gate/scan-worker.js):
# jsQR from npm (end2end/package.json pins it; ensure_npm_packages installed it above)
mkdir -p "$SITE_DIR/gate"
cp "$ROOT/end2end/node_modules/jsqr/dist/jsQR.js" "$SITE_DIR/gate/jsQR.js"

log "building the server ($PROFILE)"
if [ "$PROFILE" = release ]; then
  (cd "$ROOT" && cargo build -p server --release --quiet)
else
  (cd "$ROOT" && cargo build -p server --quiet)
fi
