#!/usr/bin/env bash
# Runs the shop with the embedded S-360 sandbox on http://127.0.0.1:3000 (LEPTOS_SITE_ADDR).
# Installs what is missing, builds (release), then serves.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$ROOT/scripts/build.sh" --release
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$SITE_DIR}"

# localstripe, the fake Stripe of the reseller storefronts, on LOCALSTRIPE_PORT (8420): any
# sk_test_.../pk_test_... key, Stripe.js at $SHOP_STRIPE_API_BASE/js.stripe.com/v3/, test card
# 4242 4242 4242 4242 (scripts/common.sh). It listens on every interface (it has no host
# option), starts empty (--from-scratch) and stops with the shop.
ensure_localstripe
LOCALSTRIPE_PORT="${LOCALSTRIPE_PORT:-8420}"
if (exec 3<>"/dev/tcp/127.0.0.1/$LOCALSTRIPE_PORT") 2>/dev/null; then
  echo "port $LOCALSTRIPE_PORT is taken (another localstripe?): set LOCALSTRIPE_PORT" >&2
  exit 1
fi
export SHOP_STRIPE_API_BASE="http://127.0.0.1:$LOCALSTRIPE_PORT"
"$LOCALSTRIPE_BIN" --port "$LOCALSTRIPE_PORT" --from-scratch >"$TARGET_DIR/localstripe.log" 2>&1 &
LOCALSTRIPE_PID=$!
trap 'kill "$LOCALSTRIPE_PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$LOCALSTRIPE_PORT") 2>/dev/null && break
  kill -0 "$LOCALSTRIPE_PID" 2>/dev/null || { echo "localstripe did not start: $TARGET_DIR/localstripe.log" >&2; exit 1; }
  sleep 0.1
done
log "localstripe on $SHOP_STRIPE_API_BASE (log: $TARGET_DIR/localstripe.log)"

# maildev (npm, end2end/node_modules), the local mail server the shop's e-mails go to with the
# embedded sandbox (SHOP_SMTP_URL's default smtp://127.0.0.1:1025): read them in a browser on
# http://127.0.0.1:1080 (or GET /email). Stops with the shop.
ensure_npm_packages
MAILDEV_SMTP_PORT="${MAILDEV_SMTP_PORT:-1025}"
MAILDEV_WEB_PORT="${MAILDEV_WEB_PORT:-1080}"
if (exec 3<>"/dev/tcp/127.0.0.1/$MAILDEV_SMTP_PORT") 2>/dev/null; then
  echo "port $MAILDEV_SMTP_PORT is taken (another maildev?): set MAILDEV_SMTP_PORT" >&2
  exit 1
fi
export SHOP_SMTP_URL="${SHOP_SMTP_URL:-smtp://127.0.0.1:$MAILDEV_SMTP_PORT}"
node "$ROOT/end2end/node_modules/maildev/bin/maildev" --smtp "$MAILDEV_SMTP_PORT" --web "$MAILDEV_WEB_PORT" \
  --ip 127.0.0.1 --web-ip 127.0.0.1 >"$TARGET_DIR/maildev.log" 2>&1 &
MAILDEV_PID=$!
trap 'kill "$LOCALSTRIPE_PID" "$MAILDEV_PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$MAILDEV_WEB_PORT") 2>/dev/null && break
  kill -0 "$MAILDEV_PID" 2>/dev/null || { echo "maildev did not start: $TARGET_DIR/maildev.log" >&2; exit 1; }
  sleep 0.1
done
log "mails: http://127.0.0.1:$MAILDEV_WEB_PORT (maildev, SMTP on port $MAILDEV_SMTP_PORT)"

log "serving on http://${LEPTOS_SITE_ADDR:-127.0.0.1:3000} (Ctrl-C to stop)"
cd "$ROOT"
# not exec: the shell stays to stop localstripe after the shop. Ctrl-C (or a TERM to this
# script) reaches the shop as SIGINT, on which it shuts down.
"$TARGET_DIR/release/shop" &
SHOP_PID=$!
trap 'kill -INT "$SHOP_PID" 2>/dev/null || true' INT TERM
status=0
wait "$SHOP_PID" || status=$?
while kill -0 "$SHOP_PID" 2>/dev/null; do  # a trapped signal interrupted the wait
  status=0
  wait "$SHOP_PID" || status=$?
done
exit "$status"
