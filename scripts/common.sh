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
     || [ ! -f "$ROOT/end2end/node_modules/maildev/bin/maildev" ] \
     || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
    log "npm ci (end2end: Playwright, axe-core, binaryen)"
    # Playwright must never download a browser: we use Debian's chromium
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_chromium() {
  apt_install chromium
}

# localstripe (PyPI), the fake Stripe for tests and local runs: a stateful server with the REST
# API we use (/v1/payment_intents, /v1/refunds), a fake Stripe.js at /js.stripe.com/v3/ and
# webhooks configured through POST /_config/webhooks/{id}. In a venv under the target dir, with
# every Python package pinned (the set pip resolved for Debian 12's Python 3.11 when we picked
# it). What 1.15.10 does, read in its source (server.py, resources.py, webhooks.py):
#  - `localstripe --port N [--from-scratch]`: no host option, it binds [::]:N (all interfaces,
#    IPv4 and IPv6). Readiness: GET /js.stripe.com/v3/ answers 200 without a key.
#  - It keeps its state in /tmp/localstripe.pickle, one file for every instance on the machine
#    (rewritten on each change), and loads it at start unless --from-scratch: we always pass
#    --from-scratch, so parallel instances (Rust tests, Playwright, run.sh) never see each
#    other's objects.
#  - Any `sk_...` key is accepted; Idempotency-Key headers are ignored (a repeated create makes
#    a second object: patched below); PaymentIntent create takes amount, currency, metadata,
#    payment_method_types, payment_method, capture_method, confirm (not
#    automatic_payment_methods, description or receipt_email); refunds by payment_intent or by
#    charge, partial ones too (it does not check the refunded total against the amount).
#  - Webhooks: kept in memory (register again after each start), sent 1 s after the event to
#    every registered URL whose event list has the type, signed as Stripe does
#    (`Stripe-Signature: t=<event.created>,v1=<hex HMAC-SHA256 of "t.body">`). Sent on
#    payment_intent.succeeded / payment_intent.payment_failed, none on refunds.
#  - Test cards: 4242424242424242 succeeds; 4000000000000341 is declined on charge
#    (card_declined); 4000000000000002 (and the other "declined" numbers) is only declined when
#    attached to a customer (declined on charge too after the patch below); 4000002500003155 &
#    co ask for 3-D Secure (its Stripe.js then shows a box: "Complete authentication" / "Fail
#    authentication"). pm_card_visa, pm_card_visa_chargeDeclined (0002) and
#    pm_card_chargeCustomerFail (0341) are understood as payment_method ids.
# Its Stripe.js cannot pay a new PaymentIntent with a card element: confirmCardPayment() ignores
# the card, always opens its 3-D Secure box and calls an endpoint that answers 400 unless the
# intent already waits for authentication (upstream issue #253, unfixed in 1.15.10 and on its
# main branch). So after installing we patch the installed copy (LOCALSTRIPE_PATCH_REV counts
# the patch's revisions; a change re-installs and re-patches):
#  1. confirmCardPayment() confirms the intent with the card element's number (spaces removed),
#     expiry and CVC, as the real Stripe.js does, and opens the 3-D Secure box only when the
#     intent asks for it; POST /v1/payment_intents/{id}/confirm takes payment_method or
#     payment_method_data and client_secret, and accepts the publishable key with the
#     client secret (the browser's call); after a declined card the buyer can retry with another.
#  2. Idempotency-Key works as at Stripe (a repeated POST gets the first answer again), so the
#     retries of a create or a refund can be tested.
#  3. A card declined on attachment (4000000000000002 ...) is also declined on charge, as at
#     Stripe, so 0002 gives card_declined on a PaymentIntent too.
#  4. Its card element class is no longer a global called `Element` (which hid the DOM's
#     window.Element from every other script of the page, wasm-bindgen's glue included), and
#     its inputs have accessible names (aria-label "Card number", "Expiration month (MM)",
#     "Expiration year (YY)", "CVC", "Postal code"), as Stripe's have, for axe.
LOCALSTRIPE_VERSION=1.15.10
LOCALSTRIPE_PATCH_REV=1
LOCALSTRIPE_VENV="$TARGET_DIR/localstripe-venv"
ensure_localstripe() {
  export LOCALSTRIPE_BIN="$LOCALSTRIPE_VENV/bin/localstripe"
  local stamp="$LOCALSTRIPE_VENV/.ticket-shop-localstripe-$LOCALSTRIPE_VERSION-patch$LOCALSTRIPE_PATCH_REV"
  [ -f "$stamp" ] && [ -x "$LOCALSTRIPE_BIN" ] && return 0
  apt_install python3 python3-venv
  log "localstripe $LOCALSTRIPE_VERSION in $LOCALSTRIPE_VENV (pip, once per target dir)"
  # Debian's Python (python3-venv is for it), not whichever python3 comes first in PATH
  [ -x "$LOCALSTRIPE_VENV/bin/python" ] || /usr/bin/python3 -m venv "$LOCALSTRIPE_VENV"
  local pip=("$LOCALSTRIPE_VENV/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir)
  "${pip[@]}" "localstripe==$LOCALSTRIPE_VERSION" aiohttp==3.14.5 aiohappyeyeballs==2.7.1 \
    aiosignal==1.4.0 attrs==26.1.0 frozenlist==1.8.0 idna==3.20 multidict==7.2.1 \
    propcache==0.5.4 python-dateutil==4.0.0 typing_extensions==4.16.0 tzdata==2026.6 yarl==1.25.1
  # pristine files to patch (an earlier revision of the patch may be in place); in place,
  # without removing the venv, which a running localstripe may be using
  "${pip[@]}" --force-reinstall --no-deps "localstripe==$LOCALSTRIPE_VERSION"
  rm -f "$LOCALSTRIPE_VENV"/.ticket-shop-localstripe-*
  "$LOCALSTRIPE_VENV/bin/python" - <<'PY'
import pathlib
import localstripe

assert localstripe.__version__ == '1.15.10', localstripe.__version__
d = pathlib.Path(localstripe.__file__).parent


def patch(name, old, new):
    path = d / name
    text = path.read_text()
    assert text.count(old) == 1, (name, old[:60])
    path.write_text(text.replace(old, new))


# 1. the browser may confirm a PaymentIntent with its publishable key and the client secret
patch('server.py', "                r'^/v1/setup_intents/\\w+/cancel$',\n",
      "                r'^/v1/setup_intents/\\w+/cancel$',\n"
      "                r'^/v1/payment_intents/\\w+/confirm$',\n")
patch('resources.py', '''    def _api_confirm(cls, id, payment_method=None, **kwargs):
        if kwargs:
            raise UserError(400, 'Unexpected ' + ', '.join(kwargs.keys()))

        if payment_method is not None:
            raise UserError(500, 'Not implemented')

        try:
            assert type(id) is str and id.startswith('pi_')
        except AssertionError:
            raise UserError(400, 'Bad request')

        obj = cls._api_retrieve(id)

        if obj.status != 'requires_confirmation':
            raise UserError(400, 'Bad request')
''', '''    def _api_confirm(cls, id, payment_method=None, payment_method_data=None,
                     client_secret=None, use_stripe_sdk=None, return_url=None,
                     **kwargs):
        # patched by the ticket shop (scripts/common.sh)
        if kwargs:
            raise UserError(400, 'Unexpected ' + ', '.join(kwargs.keys()))

        try:
            assert type(id) is str and id.startswith('pi_')
            assert payment_method is None or type(payment_method) is str
            assert (payment_method_data is None or
                    type(payment_method_data) is dict)
            assert client_secret is None or type(client_secret) is str
        except AssertionError:
            raise UserError(400, 'Bad request')

        obj = cls._api_retrieve(id)

        if client_secret is not None and client_secret != obj.client_secret:
            raise UserError(401, 'Unauthorized')

        unexpected_state = UserError(
            400, 'You cannot confirm this PaymentIntent because it has a '
            'status of %s.' % obj.status,
            {'code': 'payment_intent_unexpected_state'})
        if payment_method is not None or payment_method_data is not None:
            if obj.status not in ('requires_payment_method',
                                  'requires_confirmation'):
                raise unexpected_state
            if payment_method is not None:
                pm = PaymentMethod._api_retrieve(payment_method)
            else:
                pm = PaymentMethod(**payment_method_data)
            obj.payment_method = pm.id
            obj.latest_charge = None
            obj._authentication_failed = False

        if obj.status != 'requires_confirmation':
            raise unexpected_state
''')
# 2. Idempotency-Key as at Stripe: a POST repeated with the same key gets the first answer
#    again (Idempotent-Replayed: true); the same key with another path or other parameters is
#    refused (400 idempotency_error). Answers below 400 and 402 (declined cards) are kept.
patch('server.py', """app = web.Application(middlewares=[error_middleware, auth_middleware,
                                   save_store_middleware])
""", """# patched by the ticket shop (scripts/common.sh): Idempotency-Key as at Stripe
_idempotent = {}


@web.middleware
async def idempotency_middleware(request, handler):
    key = request.headers.get('Idempotency-Key')
    if (request.method != 'POST' or not key or
            not request.path.startswith('/v1/')):
        return await handler(request)
    params = await request.read()
    seen = _idempotent.get(key)
    if seen is not None:
        path, first_params, status, answer = seen
        if (path, first_params) != (request.path, params):
            return json_response({'error': {
                'type': 'idempotency_error',
                'message': 'Keys for idempotent requests can only be used '
                           'with the same parameters they were first used '
                           'with.'}}, status=400)
        return web.Response(status=status, body=answer,
                            content_type='application/json',
                            headers={'Idempotent-Replayed': 'true'})
    response = await handler(request)
    if response.status < 400 or response.status == 402:
        _idempotent[key] = (request.path, params, response.status,
                            response.body)
    return response


app = web.Application(middlewares=[idempotency_middleware, error_middleware,
                                   auth_middleware, save_store_middleware])
""")
# 3. cards declined on attachment are declined on charge too
patch('resources.py', '''            return self._card_number in ('4000000000000341',
                                         '4000008260003178',
                                         '4000008400001629')
''', '''            return self._card_number in ('4000000000000341',
                                         '4000008260003178',
                                         '4000008400001629') or \\
                PaymentMethod._attaching_is_declined(self)
''')
# 4. the fake Stripe.js
js = 'localstripe-v3.js'
patch(js, "if (iframes[i].getAttribute('name').startsWith(",
      "if ((iframes[i].getAttribute('name') || '').startsWith(")
patch(js, "      this._inputs[field].setAttribute('placeholder', field);\n",
      "      this._inputs[field].setAttribute('placeholder', field);\n"
      "      this._inputs[field].setAttribute('aria-label', {\n"
      "        number: 'Card number', exp_month: 'Expiration month (MM)',\n"
      "        exp_year: 'Expiration year (YY)', cvc: 'CVC',\n"
      "        postal_code: 'Postal code'}[field]);\n")
patch(js, 'class Element {', 'class LocalstripeElement {')
patch(js, 'new Element(this)', 'new LocalstripeElement(this)')
patch(js, 'data.payment_method.card instanceof Element',
      'data.payment_method.card instanceof LocalstripeElement')
patch(js, "          number: this._inputs.number.value,\n",
      "          number: this._inputs.number.value.replace(/\\s/g, ''),\n")
patch(js, "          exp_year: '20' + this._inputs.exp_year.value,\n",
      "          exp_year: this._inputs.exp_year.value.length === 2 ?\n"
      "            '20' + this._inputs.exp_year.value :\n"
      "            this._inputs.exp_year.value,\n")
path = d / js
text = path.read_text()
start = text.index('    confirmCardPayment: async (clientSecret, data) => {\n')
end = text.index('    handleCardPayment:  // deprecated\n')
path.write_text(text[:start] + r'''    confirmCardPayment: async (clientSecret, data) => {
      // patched by the ticket shop (scripts/common.sh): confirm first, 3-D Secure only when asked
      console.log('localstripe: Stripe().confirmCardPayment()');
      const failed = (code, message) =>
        ({error: {type: 'validation_error', code, message}});
      try {
        const pi = clientSecret.match(/^(pi_\w+)_secret_/)[1];
        const request = {key: apiKey, use_stripe_sdk: true,
                         client_secret: clientSecret};
        const pm = data && data.payment_method;
        if (typeof pm === 'string') {
          request.payment_method = pm;
        } else if (pm && pm.card instanceof LocalstripeElement) {
          const value = pm.card.value;
          if (!value || !/^[0-9]{16}$/.test(value.card.number)) {
            return failed('incomplete_number',
                          'Your card number is incomplete.');
          }
          if (!/^[0-9]{1,2}$/.test(value.card.exp_month) ||
              !/^[0-9]{4}$/.test(value.card.exp_year)) {
            return failed('incomplete_expiry',
                          "Your card's expiration date is incomplete.");
          }
          if (!/^[0-9]{3}$/.test(value.card.cvc)) {
            return failed('incomplete_cvc',
                          "Your card's security code is incomplete.");
          }
          const billing = {...(pm.billing_details || {})};
          billing.address = {postal_code: value.postal_code || null,
                             ...(billing.address || {})};
          request.payment_method_data = {type: 'card', card: value.card,
                                         billing_details: billing};
        }
        const post = async (path, body) => {
          const response = await fetch(
            `${LOCALSTRIPE_BASE_API}/v1/payment_intents/${pi}${path}`,
            {method: 'POST', body: JSON.stringify(body)});
          const res = await response.json().catch(() => ({}));
          if (response.status !== 200 || res.error) {
            return {error: res.error ||
                    {type: 'api_error', message: `HTTP ${response.status}`}};
          }
          return {paymentIntent: res};
        };
        let result = await post('/confirm', request);
        if (result.error ||
            result.paymentIntent.status !== 'requires_action') {
          return result;
        }
        const success = await openModal(
          '3D Secure\nDo you want to confirm or cancel?',
          'Complete authentication', 'Fail authentication');
        result = await post(`/_authenticate?success=${success}`,
                            {key: apiKey, client_secret: clientSecret});
        if (!result.error &&
            result.paymentIntent.status === 'requires_payment_method') {
          return {error: {
            type: 'card_error', code: 'payment_intent_authentication_failure',
            message: 'We are unable to authenticate your payment method. ' +
                     'Please choose a different payment method and try again.',
            payment_intent: result.paymentIntent}};
        }
        return result;
      } catch (err) {
        if (typeof err === 'object' && err.error) {
          return err;
        } else {
          return {error: err};
        }
      }
    },
''' + text[end:])
PY
  "$LOCALSTRIPE_VENV/bin/python" -c 'import localstripe.server'
  touch "$stamp"
}
