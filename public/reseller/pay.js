// The reseller's pay page: the card is entered once in Stripe's card element and every charge
// of the cart (one per currency: usually one) is confirmed by Stripe.js
// (stripe.confirmCardPayment), so the card number never reaches us. Plain ES2017, no build
// step. The page has, before this script, Stripe.js (<script src="https://js.stripe.com/v3/">,
// or localstripe's .../js.stripe.com/v3/) and:
//
//   <ul id="pay-charges">
//     <li data-client-secret="pi_..._secret_..." data-state="open" data-amount="CHF 36.00">…
//     <li data-client-secret="pi_..._secret_..." data-state="open" data-amount="€140.00">…
//   </ul>
//   <form id="pay-form" data-pk="pk_..." data-return-url="/pay/return?checkout=co_..."
//         data-paying-text="Paying…" data-declined-text="The card was not accepted for"
//         [data-error-text="The payment could not be made. Please try again."]>
//     <div id="card-element"></div>
//     <p id="card-errors" role="alert" aria-live="assertive"></p>
//     <button type="submit" id="pay-button">Pay CHF 36.00 + €140.00</button>
//   </form>
//
// On submit the button is disabled (aria-busy, data-paying-text) and the open charges are
// confirmed in turn; a charge that succeeded is marked and never confirmed again, so after a
// declined card the buyer types another one and only what is left is charged. When all
// succeeded the page goes to data-return-url, which checks the payments on the server (it is
// the authority, not this script). An error shows Stripe's message (in the buyer's language
// with real Stripe, English with localstripe), naming the amount when there are several.
(function () {
  'use strict';

  var form = document.getElementById('pay-form');
  if (!form) return;
  var button = document.getElementById('pay-button');
  var errors = document.getElementById('card-errors');
  var genericError = form.dataset.errorText || 'The payment could not be made. Please try again.';
  var charges = Array.prototype.slice.call(
    document.querySelectorAll('#pay-charges [data-client-secret]'),
  );

  function showError(message) {
    errors.textContent = message || '';
  }

  if (typeof window.Stripe !== 'function') {
    // Stripe.js did not load (blocked, offline): nothing can be paid here
    showError(genericError);
    button.disabled = true;
    return;
  }

  var needsJs = document.getElementById('pay-needs-js');
  if (needsJs) needsJs.hidden = true;
  var stripe = window.Stripe(form.dataset.pk);
  var card = stripe.elements().create('card');
  card.mount('#card-element');
  // Stripe's live validation ("Your card number is invalid."); localstripe sends no event
  card.on('change', function (event) {
    if (event && event.error) {
      showError(event.error.message);
    } else if (event) {
      showError('');
    }
  });

  var idleText = button.textContent;
  var paying = false;

  function setPaying(on) {
    paying = on;
    button.disabled = on;
    if (on) {
      button.setAttribute('aria-busy', 'true');
      button.textContent = form.dataset.payingText || idleText;
    } else {
      button.removeAttribute('aria-busy');
      button.textContent = idleText;
    }
  }

  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    if (paying) return;
    setPaying(true);
    showError('');
    var open = charges.filter(function (c) {
      return c.dataset.state !== 'succeeded';
    });
    for (var i = 0; i < open.length; i++) {
      var charge = open[i];
      var result;
      try {
        result = await stripe.confirmCardPayment(charge.dataset.clientSecret, {
          payment_method: { card: card },
        });
      } catch (e) {
        result = { error: { message: genericError } };
      }
      if (!result || result.error) {
        var error = result && result.error;
        var message = (error && error.message) || genericError;
        if (charges.length > 1 && form.dataset.declinedText) {
          message = form.dataset.declinedText + ' ' + charge.dataset.amount + ': ' + message;
        }
        showError(message);
        setPaying(false);
        if (typeof card.focus === 'function') card.focus();
        return;
      }
      // succeeded (or processing): never charged again from this page
      charge.dataset.state = 'succeeded';
    }
    window.location.assign(form.dataset.returnUrl);
  });
})();
