"""Stripe's official Python SDK, unchanged, against a standalone emulator.

The SDK keeps its defaults (its API version, retries, HTTP client); only the API's
address and a test secret key are given, from STRIPE_EMULATOR_URL and
STRIPE_SECRET_KEY. It pays, refunds in part, lists the refunds, and reads the dispute
of Stripe's dispute test card; then the emulator's request log (its control API must
be on) shows every request went out with the SDK's default Stripe-Version and was
accepted. `scripts/test` runs it; exits non-zero on the first difference.
"""

import json
import os
import sys
import urllib.request
import uuid

import stripe


def main() -> None:
    base = os.environ["STRIPE_EMULATOR_URL"]
    client = stripe.StripeClient(
        os.environ["STRIPE_SECRET_KEY"], base_addresses={"api": base}
    )
    print(f"stripe-python {stripe.VERSION}, default API version {stripe.api_version}")
    run = uuid.uuid4().hex

    created = client.v1.payment_intents.create(
        {
            "amount": 2000,
            "currency": "usd",
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            "metadata": {"order_id": "sdk-python"},
        },
        {"idempotency_key": f"sdk-python-{run}"},
    )
    paid = client.v1.payment_intents.confirm(
        created.id, {"payment_method": "pm_card_visa"}
    )
    expect(paid.status, "succeeded", "the PaymentIntent")

    refund = client.v1.refunds.create(
        {
            "payment_intent": paid.id,
            "amount": 500,
            "reason": "requested_by_customer",
            "metadata": {"order_id": "sdk-python"},
        },
        {"idempotency_key": f"sdk-python-refund-{run}"},
    )
    expect((refund.amount, refund.status), (500, "succeeded"), "the refund")

    refunds = client.v1.refunds.list({"payment_intent": paid.id, "limit": 100})
    expect(
        [(r.id, r.amount, r.status, r.reason, r.metadata.to_dict()) for r in refunds.data],
        [(refund.id, 500, "succeeded", "requested_by_customer", {"order_id": "sdk-python"})],
        "the refunds of the PaymentIntent",
    )

    disputed = client.v1.payment_intents.create(
        {
            "amount": 2000,
            "currency": "usd",
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            "payment_method": "pm_card_createDispute",
            "confirm": True,
        }
    )
    expect(disputed.status, "succeeded", "the disputed PaymentIntent")
    disputes = client.v1.disputes.list({"payment_intent": disputed.id})
    expect(len(disputes.data), 1, "its disputes")
    dispute = client.v1.disputes.retrieve(disputes.data[0].id)
    expect(
        (dispute.reason, dispute.status, dispute.amount, dispute.payment_intent),
        ("fraudulent", "needs_response", 2000, disputed.id),
        "the dispute",
    )
    if not dispute.evidence_details.due_by > dispute.created:
        fail(f"evidence is due before the dispute: {dispute.evidence_details}")

    with urllib.request.urlopen(f"{base}/_emulator/requests") as response:
        log = json.load(response)["data"]
    # The emulator is this check's own: every API request in its log is the SDK's.
    ours = [r for r in log if r["path"].startswith("/v1/")]
    if len(ours) != 7:
        fail(f"expected the SDK's 7 requests in the log, found {ours}")
    for entry in ours:
        expect(
            (entry["stripe_version"], entry["status"]),
            (stripe.api_version, 200),
            f"{entry['method']} {entry['path']}",
        )
    print(f"stripe-python: {len(ours)} requests, all answered 200 at {stripe.api_version}")


def expect(actual, wanted, what: str) -> None:
    if actual != wanted:
        fail(f"{what}: expected {wanted!r}, got {actual!r}")


def fail(message: str) -> None:
    print(f"stripe-python check failed: {message}", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
    main()
