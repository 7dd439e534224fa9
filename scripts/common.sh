# Shared by run.sh, test.sh and build.sh: paths and the "install what is missing" steps.
# Everything here is idempotent and cheap when the machine already has what is needed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TARGET_DIR="$TARGET_DIR"
SITE_DIR="$TARGET_DIR/site"
WASM_TARGET_DIR="${WASM_TARGET_DIR:-$TARGET_DIR/wasm}"
# wasm-bindgen-cli must equal the wasm-bindgen crate pinned in Cargo.toml / Cargo.lock
WASM_BINDGEN_VERSION="$(grep -A1 '^name = "wasm-bindgen"$' "$ROOT/Cargo.lock" | sed -n 's/^version = "\(.*\)"$/\1/p')"
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=0
apt_install() {
  # apt_install PKG... : installs the Debian packages that are not installed yet
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  if [ "$APT_UPDATED" = 0 ]; then
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The wasm toolchain (see docs/wasm-toolchain.md): Debian's rustc/cargo with the matching std
# source, and lld's wasm-ld; rustup cannot fetch the wasm32 target here.
ensure_wasm_toolchain() {
  apt_install rustc-web cargo-web rust-web-src lld-22
  local rustc_v src_v
  rustc_v="$(dpkg-query -W -f='${Version}' rustc-web)"
  src_v="$(dpkg-query -W -f='${Version}' rust-web-src)"
  if [ "$rustc_v" != "$src_v" ]; then
    echo "rustc-web ($rustc_v) and rust-web-src ($src_v) differ: std would not compile" >&2
    exit 1
  fi
}

ensure_wasm_bindgen() {
  if command -v wasm-bindgen >/dev/null && [ "$(wasm-bindgen --version | awk '{print $2}')" = "$WASM_BINDGEN_VERSION" ]; then
    return 0
  fi
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes, once per machine)"
  # no --locked: the registry mirror lacks one locked dependency (wasm-toolchain.md)
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --quiet
}

ensure_npm_packages() {
  if [ ! -d "$ROOT/end2end/node_modules/@playwright/test" ] || [ ! -x "$ROOT/end2end/node_modules/.bin/wasm-opt" ] \
     || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
    log "npm ci (end2end: Playwright, axe-core, binaryen)"
    # Playwright must never download a browser: we use Debian's chromium
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_chromium() {
  apt_install chromium
}
