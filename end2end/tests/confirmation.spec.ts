import type { Page } from "@playwright/test";
import { checkoutWithMugs, control, expect, Shop, submittedOrder, test } from "./shop";

// The confirmation page tells the truth: Stripe.js's word first, then the order's
// status from the database once the webhook lands. These tests hold or force the
// shop's emulator (one for the whole suite), so they run one after another.
test.describe.configure({ mode: "serial" });

function returnURL(session: any, redirectStatus = "succeeded"): string {
  return `/order-confirmation?payment_intent=${session.payment_intent}&payment_intent_client_secret=${session.client_secret}&redirect_status=${redirectStatus}`;
}

async function openHydrated(page: Page, url: string) {
  await page.goto(url);
  await page.locator("html[data-hydrated]").waitFor();
}

test.describe("hydrated", () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "the hydrated page");

  test("Stripe.js's status first, then paid when the held webhook lands; the secret leaves the address", async ({ shop, request }) => {
    await control(request, "faults", { webhook: { reorder: true } });
    try {
      const checkout = await checkoutWithMugs(shop);
      await checkout.fillDetails();
      await checkout.fillCard("4242 4242 4242 4242");
      await checkout.pay();
      const params = await checkout.returned();
      const page = shop.page;
      await expect(page.getByTestId("payment-status")).toHaveText("Payment received, your order is confirmed.");
      await expect(page.getByTestId("order-status")).toHaveText("Waiting for the payment to be confirmed.");
      await expect(page).toHaveURL(/\/order-confirmation\?order=R[0-9a-f]+$/);
      expect(page.url()).not.toContain(params.get("payment_intent_client_secret")!);
      await expect(page.getByTestId("order-total")).toHaveText("$23.00");
      await expect(page.getByText("1 Main Street")).toBeVisible();
      await control(request, "webhooks/flush", {});
      await expect(page.getByTestId("order-status")).toHaveText("Paid: your order is confirmed.");
      await expect(page.getByRole("heading", { level: 1 })).toHaveText("Thank you for your order");
      // Reload: the stored status, by reference and cookie, no secret needed.
      await page.reload();
      await expect(page.getByTestId("order-status")).toHaveText("Paid: your order is confirmed.");
      await expect(page.getByTestId("payment-status")).toHaveCount(0);
    } finally {
      await control(request, "faults", { webhook: {} });
      await control(request, "webhooks/flush", {});
    }
  });

  test("processing, then succeeded; and in another order processing, then failed with a way back", async ({ shop, request, browser }) => {
    const session = await submittedOrder(shop);
    await control(request, `payment_intents/${session.payment_intent}/force`, { status: "processing" });
    await openHydrated(shop.page, returnURL(session));
    await expect(shop.page.getByTestId("payment-status")).toHaveText(
      "Your payment is processing; we will email you when it completes.",
    );
    await expect(shop.page.getByTestId("order-status")).toHaveText("Your payment is processing.");
    await control(request, `payment_intents/${session.payment_intent}/force`, { status: "succeeded" });
    await expect(shop.page.getByTestId("order-status")).toHaveText("Paid: your order is confirmed.");

    const context = await browser.newContext();
    const page = await context.newPage();
    const other = await submittedOrder(new Shop(page, true));
    await control(request, `payment_intents/${other.payment_intent}/force`, { status: "processing" });
    await openHydrated(page, returnURL(other));
    await expect(page.getByTestId("order-status")).toHaveText("Your payment is processing.");
    await control(request, `payment_intents/${other.payment_intent}/force`, { status: "payment_failed" });
    await expect(page.getByTestId("order-status")).toHaveText("The payment did not go through.");
    await page.getByRole("link", { name: "Back to checkout" }).first().click();
    await expect(page).toHaveURL(/\/checkout$/);
    await expect(page.getByTestId("checkout-total")).toHaveText("$23.00");
    await context.close();
  });

  test("3-D Secure failed on the hosted page lands with redirect_status=failed and offers the way back", async ({ shop, request }) => {
    await control(request, "next_action", { mode: "redirect_to_url" });
    try {
      const checkout = await checkoutWithMugs(shop);
      await checkout.fillDetails();
      await checkout.fillCard("4000 0027 6000 3184");
      await checkout.pay();
      await shop.page.waitForURL(/\/_emulator\/3ds\/hosted/);
      await shop.page.locator("#test-source-fail-3ds").click();
      const params = await checkout.returned();
      expect(params.get("redirect_status")).toBe("failed");
      await expect(shop.page.getByTestId("payment-status")).toHaveText("Payment failed, please try another payment method.");
      await expect(shop.page.getByTestId("order-status")).toHaveText("The payment did not go through.");
      await shop.page.getByRole("link", { name: "Back to checkout" }).first().click();
      await expect(shop.page).toHaveURL(/\/checkout$/);
      await expect(shop.page.getByTestId("checkout-total")).toHaveText("$23.00");
    } finally {
      await control(request, "next_action", { mode: "use_stripe_sdk" });
    }
  });

  test("when Stripe.js cannot load, the order's own status still shows", async ({ shop }) => {
    const session = await submittedOrder(shop);
    await shop.page.route("**/js.stripe.com/v3/**", (route) => route.abort());
    await openHydrated(shop.page, returnURL(session));
    await expect(shop.page.getByTestId("payment-status")).toContainText("couldn't reach our payment provider");
    await expect(shop.page.getByTestId("order-status")).toHaveText("Waiting for the payment to be confirmed.");
  });

  test("a forged client secret and a visit with nothing in the address", async ({ shop }) => {
    const session = await submittedOrder(shop);
    const forged = { ...session, client_secret: `${session.payment_intent}_secret_forgedforged` };
    await openHydrated(shop.page, returnURL(forged));
    await expect(shop.page.getByTestId("confirmation-problem")).toContainText("We couldn't find that order.");
    await expect(shop.page.getByText("1 Main Street")).toHaveCount(0);
    await openHydrated(shop.page, "/order-confirmation");
    await expect(shop.page.getByTestId("confirmation-problem")).toContainText("doesn't name an order");
    await openHydrated(shop.page, "/order-confirmation?payment_intent=pi_1&payment_intent_client_secret=oops&redirect_status=succeeded");
    await expect(shop.page.getByTestId("confirmation-problem")).toContainText("doesn't name an order");
  });
});

test("without JavaScript the server-rendered status is right", async ({ shop, javaScriptEnabled }) => {
  test.skip(javaScriptEnabled, "the no-JS project");
  const session = await submittedOrder(shop);
  await shop.page.goto(returnURL(session));
  await expect(shop.page.getByTestId("order-status")).toHaveText("Waiting for the payment to be confirmed.");
  await expect(shop.page.getByTestId("order-total")).toHaveText("$23.00");
});
