// A minimal one-page checkout as a React shop would write it: an order summary, contact
// and delivery fields, and Stripe's Payment Element through @stripe/react-stripe-js.
// Pay is enabled once the element is ready, which is the moment scripts/size measures.
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { Elements, PaymentElement, useElements, useStripe } from "@stripe/react-stripe-js";

const stripe = window.Stripe(window.__PUBLISHABLE_KEY__);
const money = (minor) => new Intl.NumberFormat("en-US", { style: "currency", currency: "usd" }).format(minor / 100);

function Field({ label, name, type = "text", autoComplete, required = true }) {
  return (
    <label className="field">
      {label}
      <input name={name} type={type} autoComplete={autoComplete} required={required} />
    </label>
  );
}

function CheckoutForm({ order }) {
  const stripe = useStripe();
  const elements = useElements();
  const [ready, setReady] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  async function pay(event) {
    event.preventDefault();
    setBusy(true);
    const form = new FormData(event.currentTarget);
    const { error } = await stripe.confirmPayment({
      elements,
      confirmParams: {
        return_url: `${location.origin}/done`,
        payment_method_data: {
          billing_details: {
            name: form.get("name"),
            email: form.get("email"),
            address: {
              line1: form.get("line1"),
              line2: form.get("line2") ?? "",
              city: form.get("city"),
              state: form.get("state") ?? "",
              postal_code: form.get("postal_code"),
              country: form.get("country"),
            },
          },
        },
      },
    });
    setError(error?.message ?? null);
    setBusy(false);
  }

  return (
    <form onSubmit={pay} noValidate>
      <fieldset>
        <legend>Contact</legend>
        <Field label="Email" name="email" type="email" autoComplete="email" />
      </fieldset>
      <fieldset>
        <legend>Delivery</legend>
        <Field label="Full name" name="name" autoComplete="name" />
        <Field label="Address" name="line1" autoComplete="address-line1" />
        <Field label="Apartment, suite (optional)" name="line2" autoComplete="address-line2" required={false} />
        <Field label="City" name="city" autoComplete="address-level2" />
        <Field label="State" name="state" autoComplete="address-level1" required={false} />
        <Field label="Postal code" name="postal_code" autoComplete="postal-code" />
        <label className="field">
          Country
          <select name="country" defaultValue="US">
            <option value="US">United States</option>
            <option value="GB">United Kingdom</option>
            <option value="DE">Germany</option>
          </select>
        </label>
      </fieldset>
      <fieldset>
        <legend>Payment</legend>
        <PaymentElement
          options={{ fields: { billingDetails: { email: "never", address: "never" } } }}
          onReady={() => setReady(true)}
        />
      </fieldset>
      {error && <p role="alert">{error}</p>}
      <button type="submit" disabled={!stripe || !ready || busy}>
        {busy ? "Paying…" : `Pay ${money(order.amount)}`}
      </button>
    </form>
  );
}

function Checkout() {
  const [order, setOrder] = useState(null);
  useEffect(() => {
    fetch("/payment-intent", { method: "POST" })
      .then((response) => response.json())
      .then(setOrder);
  }, []);
  if (!order) return <p>Loading…</p>;
  return (
    <main>
      <h1>Checkout</h1>
      <ul aria-label="Your order">
        {order.lines.map((line) => (
          <li key={line.name}>
            {line.quantity} × {line.name} <span>{money(line.total)}</span>
          </li>
        ))}
      </ul>
      <p>Total {money(order.amount)}</p>
      <Elements stripe={stripe} options={{ clientSecret: order.clientSecret }}>
        <CheckoutForm order={order} />
      </Elements>
    </main>
  );
}

createRoot(document.getElementById("root")).render(
  <StrictMode>
    <Checkout />
  </StrictMode>,
);
