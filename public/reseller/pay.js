// The reseller's pay page: the card is entered in Stripe's card element and the payment
// confirmed by Stripe.js (stripe.confirmCardPayment), so the card number never reaches us.
// Plain ES2017, no build step. The page has, before this script, Stripe.js
// (<script src="https://js.stripe.com/v3/">, or localstripe's .../js.stripe.com/v3/) and:
//
//   <form id="pay-form" data-pk="pk_..." data-client-secret="pi_..._secret_..."
//         data-return-url="/pay/return?payment_intent=pi_..." data-paying-text="Paying…"
//         [data-error-text="The payment could not be made. Please try again."]>
//     <div id="card-element"></div>
//     <p id="card-errors" role="alert" aria-live="assertive"></p>
//     <button type="submit" id="pay-button">Pay CHF 120.00</button>
//   </form>
//
// On submit the button is disabled (aria-busy, data-paying-text); success goes to
// data-return-url (which checks the payment on the server: it is the authority, not this
// script); an error shows Stripe's message (already in the buyer's language with real Stripe,
// English with localstripe) and gives the button back.
(function () {
  'use strict';

  var form = document.getElementById('pay-form');
  if (!form) return;
  var button = document.getElementById('pay-button');
  var errors = document.getElementById('card-errors');
  var genericError = form.dataset.errorText || 'The payment could not be made. Please try again.';

  function showError(message) {
    errors.textContent = message || '';
  }

  if (typeof window.Stripe !== 'function') {
    // Stripe.js did not load (blocked, offline): nothing can be paid here
    showError(genericError);
    button.disabled = true;
    return;
  }

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
    var result;
    try {
      result = await stripe.confirmCardPayment(form.dataset.clientSecret, {
        payment_method: { card: card },
      });
    } catch (e) {
      result = { error: { message: genericError } };
    }
    if (!result || result.error) {
      var error = result && result.error;
      showError((error && error.message) || genericError);
      setPaying(false);
      if (typeof card.focus === 'function') card.focus();
      return;
    }
    // succeeded (or processing): the return page asks Stripe and shows the outcome
    window.location.assign(form.dataset.returnUrl);
  });
})();
