import { Checkout, checkoutWithMugs, control, expect, Shop, test } from "./shop";

// The operator's side, in this project's browser (with or without JavaScript: the
// admin is plain forms). The shopper pays first in a browser of their own with
// JavaScript, which the Payment Element needs.

const operator = {
  name: process.env.E2E_OPERATOR ?? "playwright",
  password: process.env.E2E_OPERATOR_PASSWORD ?? "playwright operator password",
};

/** A paid order of two mugs, paid in a shopper's own browser (left open on the
 * confirmation page): its R… reference and that page. */
async function paidOrder(browser: import("@playwright/test").Browser) {
  const context = await browser.newContext({ javaScriptEnabled: true });
  const shopper = new Shop(await context.newPage(), true);
  const checkout: Checkout = await checkoutWithMugs(shopper, "2");
  await checkout.fillDetails();
  await checkout.fillCard("4242 4242 4242 4242");
  await checkout.pay();
  await checkout.returned();
  await expect(shopper.page.getByTestId("order-status")).toHaveText("Paid: your order is confirmed.");
  const reference = new URL(shopper.page.url()).searchParams.get("order");
  expect(reference).toMatch(/^R/);
  return { reference: reference!, shopper: shopper.page, context };
}

/** Signs in as the suite's operator. */
async function signIn(page: import("@playwright/test").Page) {
  await page.goto("/admin/login");
  await page.getByLabel("Name").fill(operator.name);
  await page.getByLabel("Password").fill(operator.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Orders" })).toBeVisible();
}

test("an order in review is resolved from the browser with a note", async ({ page, browser, request }) => {
  // A draft paid without the shop's submit step and without an address (a client
  // confirming on its own): the shop cannot ship it, so it goes to review.
  const context = await browser.newContext({ javaScriptEnabled: true });
  let paymentIntent: string;
  try {
    const shopper = new Shop(await context.newPage(), true);
    await shopper.open("/");
    await shopper.addToCart("Stoneware Mug", "1");
    await expect(shopper.cartCount).toHaveText("1");
    const prepared = await shopper.page.request.post("/api/checkout/prepare", {
      form: { shipping: "standard", country: "US", region: "IL" },
      headers: { Accept: "application/json" },
    });
    paymentIntent = (await prepared.json()).payment_intent;
  } finally {
    await context.close();
  }
  await control(request, `payment_intents/${paymentIntent}/force`, { status: "succeeded" });

  await signIn(page);
  const found = `/admin/orders?q=${paymentIntent}`;
  await expect
    .poll(async () => {
      await page.goto(found);
      return await page.getByRole("table").getByText("needs review").count();
    })
    .toBe(1);
  await page.getByRole("table").getByRole("link").first().click();
  await expect(page.locator(".admin-status")).toContainText("needs review");

  // Closing it gives nothing back by itself: the money goes back first.
  const review = page.getByRole("region", { name: "Resolve the review" });
  await review.getByRole("radio", { name: /^Closed/ }).check();
  await review.getByLabel("Note").fill("closing before the refund");
  await review.getByRole("button", { name: "Resolve" }).click();
  await expect(page.getByRole("alert")).toContainText("Refund what was received first: $23.00");
  await page.getByLabel("Amount (for example 12.50)").fill("23.00");
  await page.getByRole("button", { name: "Refund", exact: true }).click();
  await expect(page.getByRole("status")).toContainText("Refund requested");
  await expect
    .poll(async () => {
      await page.reload();
      return await page.locator(".admin-timeline").textContent();
    })
    .toMatch(/refund re_\w+ of \$23\.00 succeeded/);

  await review.getByRole("radio", { name: /^Closed/ }).check();
  await review.getByLabel("Note").fill("paid with no address: refunded in full");
  await review.getByRole("button", { name: "Resolve" }).click();
  await expect(page.getByRole("status")).toHaveText("The review is resolved.");
  await expect(page.locator(".admin-status")).toContainText("canceled");
  await expect(page.locator(".admin-timeline")).toContainText(
    `needs_review -> canceled: resolved by hand: paid with no address: refunded in full — ${operator.name}`,
  );
  await expect(page.getByRole("region", { name: "Resolve the review" })).toHaveCount(0);
});

test("an operator signs in, finds a paid order by its reference and refunds part of it", async ({ page, browser }) => {
  const { reference, shopper, context } = await paidOrder(browser);

  await page.goto("/admin/orders");
  await expect(page).toHaveURL(/\/admin\/login$/);
  await signIn(page);
  await expect(page.getByText(`Signed in as ${operator.name}`)).toBeVisible();

  await page.getByLabel("Email, R… reference or pi_ id").fill(reference);
  await page.getByRole("button", { name: "Find" }).click();
  await page.getByRole("link", { name: reference }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Order ${reference}`);

  await page.getByLabel("Amount (for example 12.50)").fill("5.00");
  await page.getByLabel("Reason").selectOption("requested_by_customer");
  await page.getByRole("button", { name: "Refund", exact: true }).click();
  await expect(page.getByRole("status")).toContainText("Refund requested");
  const timeline = page.locator(".admin-timeline");
  await expect(timeline).toContainText(`refund of $5.00 requested (requested_by_customer) — ${operator.name}`);

  // Stripe refunds it and says so by webhook: the timeline and the shopper's email follow.
  await expect
    .poll(async () => {
      await page.reload();
      return await timeline.textContent();
    })
    .toMatch(/refund re_\w+ of \$5\.00 succeeded/);
  await expect(page.getByText("partially refunded")).toBeVisible();
  const emails = page.getByRole("region", { name: "Emails" });
  await expect(emails.getByRole("cell", { name: "A refund of $5.00 is on its way" })).toBeVisible();
  await expect(emails.getByRole("cell", { name: `Your order ${reference} is confirmed` })).toBeVisible();

  // The shopper's own order page says so too.
  await shopper.reload();
  await expect(shopper.getByTestId("order-refunded")).toHaveText("$5.00");
  await expect(shopper.getByText("Partially refunded")).toBeVisible();
  await context.close();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/admin\/login$/);
  await page.goto("/admin/orders");
  await expect(page).toHaveURL(/\/admin\/login$/);
});

test("a wrong password is refused with nothing said about which part was wrong", async ({ page }) => {
  await page.goto("/admin/login");
  await page.getByLabel("Name").fill(operator.name);
  await page.getByLabel("Password").fill("not the password at all");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("That name and password do not match.");
});
