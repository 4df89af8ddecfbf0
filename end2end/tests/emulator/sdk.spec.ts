import { expect, test } from "@playwright/test";
import Stripe from "stripe";
import { emulatorSecretKey, emulatorURL } from "./checkout-page";

// Stripe's official Node SDK as a shop's server uses it, unchanged: its default API
// version and settings, only pointed at the emulator with a test secret key.
const { hostname, port } = new URL(emulatorURL);
const stripe = new Stripe(emulatorSecretKey, { host: hostname, port: Number(port), protocol: "http" });

test("stripe-node pays, refunds in part, lists refunds and reads a dispute", async ({ request }) => {
  console.log(`stripe-node ${Stripe.PACKAGE_VERSION}, default API version ${Stripe.API_VERSION}`);

  const created = await stripe.paymentIntents.create(
    {
      amount: 2000,
      currency: "usd",
      automatic_payment_methods: { enabled: true, allow_redirects: "never" },
      metadata: { order_id: "sdk-node" },
    },
    { idempotencyKey: `sdk-node-${Date.now()}` },
  );
  const paid = await stripe.paymentIntents.confirm(created.id, { payment_method: "pm_card_visa" });
  expect(paid.status).toBe("succeeded");
  expect(paid.payment_method).toMatch(/^pm_[A-Za-z0-9]{24}$/);

  const refund = await stripe.refunds.create(
    { payment_intent: paid.id, amount: 500, reason: "requested_by_customer", metadata: { order_id: "sdk-node" } },
    { idempotencyKey: `sdk-node-refund-${paid.id}` },
  );
  expect(refund).toMatchObject({ object: "refund", amount: 500, status: "succeeded", payment_intent: paid.id });

  const refunds = await stripe.refunds.list({ payment_intent: paid.id, limit: 100 });
  expect(refunds.data.map((r) => [r.id, r.amount, r.status, r.reason])).toEqual([
    [refund.id, 500, "succeeded", "requested_by_customer"],
  ]);
  expect(refunds.data[0].metadata).toEqual({ order_id: "sdk-node" });

  const disputed = await stripe.paymentIntents.create({
    amount: 2000,
    currency: "usd",
    automatic_payment_methods: { enabled: true, allow_redirects: "never" },
    payment_method: "pm_card_createDispute",
    confirm: true,
  });
  expect(disputed.status).toBe("succeeded");
  const disputes = await stripe.disputes.list({ payment_intent: disputed.id });
  expect(disputes.data).toHaveLength(1);
  const dispute = await stripe.disputes.retrieve(disputes.data[0].id);
  expect(dispute).toMatchObject({
    object: "dispute",
    reason: "fraudulent",
    status: "needs_response",
    amount: 2000,
    payment_intent: disputed.id,
  });
  expect(dispute.evidence_details.due_by).toBeGreaterThan(dispute.created);

  // Every request went out with the SDK's own default version, and was accepted.
  const log = await (await request.get(`${emulatorURL}/_emulator/requests`)).json();
  const ours = log.data.filter((r: any) => [created.id, paid.id, disputed.id, dispute.id].some((id) => r.path.includes(id)) || r.path.endsWith("/v1/refunds"));
  expect(ours.length).toBeGreaterThan(3);
  for (const entry of ours) {
    expect(entry.stripe_version).toBe(Stripe.API_VERSION);
    expect(entry.status).toBe(200);
  }
});
