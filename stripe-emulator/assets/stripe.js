/*
 * The emulator's Stripe.js (contract b.11 to b.13). A page written for real Stripe uses
 * it unchanged: only the script URL and the keys differ. The card fields live in an
 * iframe on the emulator's origin, which talks to the API itself: the card number never
 * reaches this page, only field state does.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var EMULATOR = new URL(script && script.src ? script.src : location.href).origin;
  var frames = 0;

  // The emulator's phrase table (src/locale.rs): what the shopper reads, in English
  // or Simplified Chinese by the `locale` option (`auto` follows the browser).
  var PHRASES = __STRIPE_EMULATOR_PHRASES__;
  function languageOf(locale) {
    var tag = String(locale === "auto" || !locale ? navigator.language || "en" : locale).toLowerCase();
    return tag === "zh" || /^zh-(cn|hans|sg)/.test(tag) ? "zh" : "en";
  }
  function say(language, key) {
    var phrase = PHRASES[key] || {};
    return phrase[language] || phrase.en || key;
  }
  /* An English message the API stored (a PaymentIntent's last error), in `language`. */
  function translated(language, english) {
    for (var key in PHRASES) if (PHRASES[key].en === english) return PHRASES[key][language];
    return english;
  }

  function IntegrationError(message) {
    var error = new Error(message);
    error.name = "IntegrationError";
    return error;
  }

  var SECRET = /^(pi_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+$/;

  function intentId(clientSecret, method) {
    var match = typeof clientSecret === "string" && clientSecret.match(SECRET);
    if (!match) {
      throw IntegrationError(
        "Invalid value for " + method + ": clientSecret should be a client secret of the form ${id}_secret_${secret}. You specified: " + clientSecret + "."
      );
    }
    return match[1];
  }

  function api(path, key, query) {
    var params = new URLSearchParams(query || {});
    params.set("key", key);
    return fetch(EMULATOR + path + "?" + params.toString(), { credentials: "omit" }).then(function (response) {
      return response.json();
    });
  }

  function retrieve(key, clientSecret) {
    return api("/v1/payment_intents/" + intentId(clientSecret, "retrievePaymentIntent"), key, { client_secret: clientSecret });
  }

  function navigate(returnUrl, pi, clientSecret) {
    var url = new URL(returnUrl, location.href);
    var redirectStatus = pi.status === "processing" ? "processing" : "succeeded";
    url.searchParams.append("payment_intent", pi.id);
    url.searchParams.append("payment_intent_client_secret", clientSecret);
    url.searchParams.append("redirect_status", redirectStatus);
    window.location.assign(url.toString());
    return new Promise(function () {});
  }

  function authenticationError(pi, language) {
    var last = pi.last_payment_error || {};
    if (last.code && last.code !== "payment_intent_authentication_failure") {
      var error = {};
      Object.keys(last).forEach(function (k) {
        if (k !== "payment_method") error[k] = last[k];
      });
      if (error.type === "card_error") error.message = translated(language, error.message);
      error.payment_intent = pi;
      return { error: error };
    }
    return {
      error: {
        type: "invalid_request_error",
        code: "payment_intent_authentication_failure",
        message: say(language, "authentication_failure"),
        payment_intent: pi,
      },
    };
  }

  /* The 3-D Secure modal: an overlay holding the iframe chain of the real one. */
  function challenge(key, pi, clientSecret, locale) {
    var language = languageOf(locale);
    return new Promise(function (resolve) {
      var overlay = document.createElement("div");
      overlay.setAttribute("data-stripe-emulator", "three-ds-modal");
      overlay.setAttribute("role", "dialog");
      overlay.setAttribute("aria-modal", "true");
      overlay.setAttribute("aria-label", say(language, "verify_payment"));
      overlay.setAttribute("lang", language === "zh" ? "zh-CN" : "en");
      overlay.style.cssText =
        "position:fixed;inset:0;z-index:2147483647;background:rgba(30,32,40,.55);display:flex;align-items:center;justify-content:center";
      var box = document.createElement("div");
      box.style.cssText = "position:relative;background:#fff;border-radius:8px;box-shadow:0 12px 40px rgba(0,0,0,.35);width:min(420px,94vw);height:min(520px,90vh);overflow:hidden";
      var cancel = document.createElement("button");
      cancel.type = "button";
      cancel.textContent = "×";
      cancel.setAttribute("aria-label", say(language, "cancel"));
      // `all: initial` keeps the page's own button styles from reaching this control.
      cancel.style.cssText = "all:initial;position:absolute;top:8px;right:12px;font:26px/1 sans-serif;cursor:pointer;color:#555;z-index:1;padding:0 4px";
      var frame = document.createElement("iframe");
      frame.name = "__privateStripeFrame" + ++frames;
      frame.title = say(language, "challenge_frame");
      frame.style.cssText = "border:0;width:100%;height:100%";
      var query = new URLSearchParams({ payment_intent: pi.id, client_secret: clientSecret, parent: location.origin, locale: language });
      frame.src = EMULATOR + "/js.stripe.com/v3/three-ds-2-challenge.html?" + query.toString();
      box.appendChild(cancel);
      box.appendChild(frame);
      overlay.appendChild(box);
      document.body.appendChild(overlay);
      setTimeout(function () {
        cancel.focus();
      }, 0);

      function finish() {
        window.removeEventListener("message", onMessage);
        overlay.remove();
        retrieve(key, clientSecret).then(function (now) {
          if (now.error) return resolve({ error: now.error });
          if (now.status === "requires_payment_method") return resolve(authenticationError(now, language));
          resolve({ paymentIntent: now });
        });
      }
      function onMessage(event) {
        if (event.origin !== EMULATOR || !event.data || event.data.type !== "stripe-emulator-3ds-done" || event.data.payment_intent !== pi.id) return;
        finish();
      }
      window.addEventListener("message", onMessage);
      overlay.addEventListener("keydown", function (event) {
        if (event.key === "Escape") cancel.click();
      });
      cancel.addEventListener("click", function () {
        // Closing the challenge counts as a failed authentication.
        fetch(EMULATOR + "/_emulator/3ds/" + pi.id + "/result", {
          method: "POST",
          mode: "no-cors",
          body: JSON.stringify({ client_secret: clientSecret, outcome: "fail" }),
        }).then(finish, finish);
      });
    });
  }

  /* What happens after the API has answered a confirm. */
  /* `locale` is the Elements group's, else the Stripe object's (as the element's own). */
  function settle(stripe, answer, clientSecret, returnUrl, redirect, locale) {
    var language = languageOf(locale || stripe._options.locale);
    if (answer.error) return Promise.resolve({ error: answer.error });
    var pi = answer;
    var next = pi.next_action;
    if (pi.status === "requires_action" && next && next.type === "redirect_to_url") {
      window.location.assign(next.redirect_to_url.url);
      return new Promise(function () {});
    }
    var done = pi.status === "requires_action" ? challenge(stripe._key, pi, clientSecret, locale || stripe._options.locale) : Promise.resolve({ paymentIntent: pi });
    return done.then(function (result) {
      if (result.error) return result;
      var now = result.paymentIntent;
      if (["succeeded", "processing", "requires_capture"].indexOf(now.status) < 0) {
        // The challenge did not settle (its answer never arrived): nothing was paid.
        return { error: { type: "invalid_request_error", code: "payment_intent_unexpected_state", message: say(language, "payment_not_completed"), payment_intent: now } };
      }
      if (redirect === "if_required") return { paymentIntent: now };
      return navigate(returnUrl, now, clientSecret);
    });
  }

  /* ---- the Payment Element ---------------------------------------------------------- */

  function PaymentElement(group, options) {
    this._group = group;
    this._options = options || {};
    this._handlers = {};
    this._mounted = null;
    this._destroyed = false;
    this._frame = null;
    this._calls = {};
    this._nextCall = 1;
    this._ready = false;
    var self = this;
    this._onMessage = function (event) {
      if (!self._frame || event.source !== self._frame.contentWindow || event.origin !== EMULATOR) return;
      var data = event.data || {};
      if (data.reply) {
        var call = self._calls[data.reply];
        delete self._calls[data.reply];
        if (call) call(data.result);
        return;
      }
      if (data.event === "height") {
        self._frame.style.height = data.height + "px";
        return;
      }
      if (data.event === "ready") {
        self._ready = true;
        self._emit("ready", { elementType: "payment" });
        return;
      }
      if (data.event === "change") {
        self._emit("change", { elementType: "payment", empty: data.empty, complete: data.complete, collapsed: false, value: { type: "card" } });
        return;
      }
      if (data.event) self._emit(data.event, { elementType: "payment" });
    };
  }

  PaymentElement.prototype.on = function (type, handler) {
    (this._handlers[type] = this._handlers[type] || []).push(handler);
    return this;
  };
  PaymentElement.prototype.once = function (type, handler) {
    var self = this;
    function once(event) {
      self.off(type, once);
      handler(event);
    }
    return this.on(type, once);
  };
  PaymentElement.prototype.off = function (type, handler) {
    var list = this._handlers[type] || [];
    this._handlers[type] = handler ? list.filter(function (h) { return h !== handler; }) : [];
    return this;
  };
  PaymentElement.prototype._emit = function (type, event) {
    (this._handlers[type] || []).slice().forEach(function (handler) {
      handler(event);
    });
  };

  PaymentElement.prototype.mount = function (target) {
    if (this._destroyed) throw IntegrationError("This Element has already been destroyed. Please create a new one.");
    var node = typeof target === "string" ? document.querySelector(target) : target;
    if (!node || !node.appendChild) {
      throw IntegrationError(
        "The selector you specified (" + target + ") applies to no DOM elements that are currently on the page.\nMake sure the element exists on the page before calling mount()."
      );
    }
    if (this._mounted && this._mounted !== node) throw IntegrationError("This Element is already mounted. Use `unmount()` to unmount the Element before re-mounting.");
    if (this._mounted) return;
    this._mounted = node;
    var group = this._group;
    var appearance = group._options.appearance || {};
    var fields = (this._options.fields || {}).billingDetails;
    var address = fields === "never" ? "never" : fields && fields.address;
    var config = {
      theme: appearance.theme || "stripe",
      colorPrimary: (appearance.variables || {}).colorPrimary || "",
      locale: group._options.locale || group._stripe._options.locale || "auto",
      hideCountry: address === "never" || (address && address.country === "never"),
      hidePostalCode: address === "never" || (address && address.postalCode === "never"),
      country: ((((this._options.defaultValues || {}).billingDetails || {}).address || {}).country) || "",
      parent: location.origin,
    };
    var frame = document.createElement("iframe");
    frame.name = "__privateStripeFrame" + ++frames;
    frame.title = "Secure payment input frame";
    frame.setAttribute("allowtransparency", "true");
    frame.setAttribute("scrolling", "no");
    frame.style.cssText = "border:0;width:100%;height:220px;display:block;overflow:hidden;color-scheme:normal";
    frame.src = EMULATOR + "/js.stripe.com/v3/elements-inner-payment.html#" + encodeURIComponent(JSON.stringify(config));
    this._frame = frame;
    window.addEventListener("message", this._onMessage);
    node.appendChild(frame);
    var self = this;
    this._emit("loaderstart", { elementType: "payment" });
    if (group._clientSecret) {
      // As the real element does, load the PaymentIntent; a 4xx is a `loaderror`.
      retrieve(group._stripe._key, group._clientSecret).then(function (pi) {
        if (pi.error) self._emit("loaderror", { elementType: "payment", error: pi.error });
      });
    }
  };

  PaymentElement.prototype._call = function (action, payload) {
    var self = this;
    if (!this._frame) return Promise.reject(IntegrationError("The Payment Element is not mounted."));
    var ready = this._ready ? Promise.resolve() : new Promise(function (resolve) { self.once("ready", resolve); });
    return ready.then(function () {
      return new Promise(function (resolve) {
        var id = self._nextCall++;
        self._calls[id] = resolve;
        self._frame.contentWindow.postMessage({ call: id, action: action, payload: payload || {} }, EMULATOR);
      });
    });
  };

  PaymentElement.prototype.unmount = function () {
    if (this._frame) this._frame.remove();
    window.removeEventListener("message", this._onMessage);
    this._frame = null;
    this._mounted = null;
    this._ready = false;
  };
  PaymentElement.prototype.destroy = function () {
    this.unmount();
    this._destroyed = true;
    this._group._element = null;
  };
  PaymentElement.prototype.focus = function () {
    if (this._frame) this._frame.contentWindow.postMessage({ action: "focus" }, EMULATOR);
  };
  PaymentElement.prototype.blur = function () {
    if (this._frame) this._frame.contentWindow.postMessage({ action: "blur" }, EMULATOR);
  };
  PaymentElement.prototype.clear = function () {
    if (this._frame) this._frame.contentWindow.postMessage({ action: "clear" }, EMULATOR);
  };
  PaymentElement.prototype.collapse = function () {};
  PaymentElement.prototype.update = function (options) {
    Object.assign(this._options, options || {});
  };

  /* ---- Elements groups ---------------------------------------------------------------- */

  function Elements(stripe, options) {
    options = options || {};
    if (options.clientSecret !== undefined && options.mode !== undefined) {
      throw IntegrationError("Invalid value for elements(): clientSecret and mode cannot both be specified. Use one or the other.");
    }
    if (options.clientSecret !== undefined) intentId(options.clientSecret, "elements()");
    if (options.mode !== undefined && ["payment", "setup", "subscription"].indexOf(options.mode) < 0) {
      throw IntegrationError("Invalid value for elements(): mode should be one of payment, setup, or subscription. You specified: " + options.mode + ".");
    }
    this._stripe = stripe;
    this._options = options;
    this._clientSecret = options.clientSecret || null;
    this._element = null;
    this._submitted = false;
  }

  Elements.prototype.create = function (type, options) {
    if (type !== "payment") throw IntegrationError("This emulator's Elements offers the payment Element only; you asked for " + type + ".");
    if (!this._clientSecret && !this._options.mode) {
      throw IntegrationError("In order to create a payment element, you must pass a valid PaymentIntent or SetupIntent client secret, or a mode, when creating the Elements group.");
    }
    if (this._element) throw IntegrationError("Can only create one Element of type payment.");
    this._element = new PaymentElement(this, options);
    return this._element;
  };
  Elements.prototype.getElement = function (type) {
    return type === "payment" ? this._element : null;
  };
  Elements.prototype.update = function (options) {
    Object.assign(this._options, options || {});
    var element = this._element;
    return Promise.resolve().then(function () {
      if (element) element._emit("update-end", { elementType: "payment" });
    });
  };
  Elements.prototype.fetchUpdates = function () {
    if (!this._clientSecret) return Promise.resolve({});
    return retrieve(this._stripe._key, this._clientSecret).then(function (pi) {
      return pi.error ? { error: { message: pi.error.message, status: "failed" } } : {};
    });
  };
  Elements.prototype.submit = function () {
    var self = this;
    if (!this._element) return Promise.reject(IntegrationError("elements.submit(): create and mount a payment Element first."));
    return this._element._call("validate").then(function (result) {
      if (result.error) return { error: result.error };
      self._submitted = true;
      return { selectedPaymentMethod: "card" };
    });
  };

  /* ---- Stripe ----------------------------------------------------------------------- */

  function Stripe(key, options) {
    if (!(this instanceof Stripe)) return new Stripe(key, options);
    if (typeof key !== "string") throw IntegrationError("Invalid value for Stripe(): apiKey should be a string. You specified: " + typeof key + ".");
    if (key.indexOf("pk_test_") !== 0) {
      throw IntegrationError("Invalid value for Stripe(): this emulator accepts test-mode publishable keys (pk_test_...) only.");
    }
    this._key = key;
    this._options = options || {};
  }

  Stripe.version = "dahlia";
  Stripe.prototype._registerWrapper = function () {};

  Stripe.prototype.elements = function (options) {
    return new Elements(this, options);
  };

  // Stripe.js's card-Element methods. The emulator emulates the Payment Element only;
  // these exist so that libraries checking for them accept this Stripe object
  // (@stripe/react-stripe-js's <Elements> requires createToken, createPaymentMethod and
  // confirmCardPayment), and answer a page that calls one in Stripe's {error} shape.
  ["createToken", "createSource", "createPaymentMethod", "confirmCardPayment", "handleCardAction"].forEach(function (name) {
    Stripe.prototype[name] = function () {
      return Promise.resolve({
        error: {
          type: "invalid_request_error",
          message: "The Stripe emulator does not implement stripe." + name + "(): use the Payment Element with stripe.confirmPayment().",
        },
      });
    };
  });

  Stripe.prototype.retrievePaymentIntent = function (clientSecret) {
    intentId(clientSecret, "retrievePaymentIntent");
    return retrieve(this._key, clientSecret).then(function (answer) {
      return answer.error ? { error: answer.error } : { paymentIntent: answer };
    });
  };

  Stripe.prototype.handleNextAction = function (options) {
    var clientSecret = (options || {}).clientSecret;
    intentId(clientSecret, "handleNextAction");
    var stripe = this;
    return retrieve(this._key, clientSecret).then(function (pi) {
      if (pi.error) return { error: pi.error };
      if (pi.status !== "requires_action") {
        throw IntegrationError("handleNextAction: the PaymentIntent has a status of " + pi.status + ", but it must be requires_action.");
      }
      return settle(stripe, pi, clientSecret, null, "if_required");
    });
  };

  var ADDRESS = ["line1", "line2", "city", "state", "postal_code", "country"];

  /* Every billing field the element was told `never` must come in confirmParams. */
  function checkNeverFields(element, confirmParams) {
    var fields = ((element._options.fields || {}).billingDetails);
    if (!fields) return;
    var given = ((confirmParams.payment_method_data || {}).billing_details) || {};
    var missing = function (path) {
      throw IntegrationError(
        'You specified "never" for fields.billing_details.' + path + " when creating the payment Element, but did not pass confirmParams.payment_method_data.billing_details." + path +
          " when calling stripe.confirmPayment(). If you opt out of collecting data via the payment Element using the fields option, the data must be passed in when calling stripe.confirmPayment()."
      );
    };
    var never = function (name) {
      return fields === "never" || fields[name] === "never";
    };
    ["name", "email", "phone"].forEach(function (name) {
      if (never(name) && given[name] === undefined) missing(name);
    });
    var address = fields === "never" ? "never" : fields.address;
    if (!address) return;
    ADDRESS.forEach(function (part) {
      var camel = part === "postal_code" ? "postalCode" : part;
      if ((address === "never" || address[camel] === "never") && (given.address || {})[part] === undefined) missing("address." + part);
    });
  }

  Stripe.prototype.confirmPayment = function (options) {
    options = options || {};
    var group = options.elements;
    var redirect = options.redirect || "always";
    var confirmParams = options.confirmParams || {};
    if (!group || !(group instanceof Elements)) throw IntegrationError("Invalid value for confirmPayment(): elements should be an Elements group. You specified: " + typeof group + ".");
    if (redirect !== "always" && redirect !== "if_required") throw IntegrationError("Invalid value for confirmPayment(): redirect should be always or if_required.");
    if (redirect === "always" && !confirmParams.return_url) {
      throw IntegrationError("stripe.confirmPayment(): the `confirmParams.return_url` argument is required unless passing `redirect: 'if_required'`");
    }
    var clientSecret = group._clientSecret || options.clientSecret;
    if (!group._clientSecret) {
      if (!options.clientSecret) throw IntegrationError("stripe.confirmPayment(): the `clientSecret` argument is required when the Elements group was created with a mode.");
      intentId(options.clientSecret, "confirmPayment()");
      if (!group._submitted) {
        return Promise.reject(IntegrationError("elements.submit() must be called before stripe.confirmPayment(). Call elements.submit() as soon as your customer presses pay, prior to any asynchronous work."));
      }
    }
    var element = group._element;
    if (!element || !element._frame) throw IntegrationError("stripe.confirmPayment(): the payment Element is not mounted.");
    checkNeverFields(element, confirmParams);
    var stripe = this;
    var pmd = confirmParams.payment_method_data || {};
    return element
      ._call("confirm", {
        key: this._key,
        payment_intent: intentId(clientSecret, "confirmPayment()"),
        client_secret: clientSecret,
        return_url: confirmParams.return_url || "",
        billing_details: pmd.billing_details || {},
        receipt_email: confirmParams.receipt_email || "",
        shipping: confirmParams.shipping || null,
        metadata: pmd.metadata || null,
        allow_redisplay: pmd.allow_redisplay || "",
        expand: confirmParams.expand || [],
      })
      .then(function (answer) {
        return settle(stripe, answer, clientSecret, confirmParams.return_url, redirect, group._options.locale);
      });
  };

  window.Stripe = Stripe;
})();
