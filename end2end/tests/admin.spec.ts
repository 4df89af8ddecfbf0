import { Checkout, checkoutWithMugs, expect, Shop, test } from "./shop";

// The operator's side, in this project's browser (with or without JavaScript: the
// admin is plain forms). The shopper pays first in a browser of their own with
// JavaScript, which the Payment Element needs.

const operator = {
  name: process.env.E2E_OPERATOR ?? "playwright",
  password: process.env.E2E_OPERATOR_PASSWORD ?? "playwright operator password",
};

/** A paid order of two mugs, paid in a shopper's own browser: its R… reference. */
async function paidOrder(browser: import("@playwright/test").Browser): Promise<string> {
  const context = await browser.newContext({ javaScriptEnabled: true });
  try {
    const shopper = new Shop(await context.newPage(), true);
    const checkout: Checkout = await checkoutWithMugs(shopper, "2");
    await checkout.fillDetails();
    await checkout.fillCard("4242 4242 4242 4242");
    await checkout.pay();
    await checkout.returned();
    await expect(shopper.page.getByTestId("order-status")).toHaveText("Paid: your order is confirmed.");
    const reference = new URL(shopper.page.url()).searchParams.get("order");
    expect(reference).toMatch(/^R/);
    return reference!;
  } finally {
    await context.close();
  }
}

test("an operator signs in, finds a paid order by its reference and refunds part of it", async ({ page, browser }) => {
  const reference = await paidOrder(browser);

  await page.goto("/admin/orders");
  await expect(page).toHaveURL(/\/admin\/login$/);
  await page.getByLabel("Name").fill(operator.name);
  await page.getByLabel("Password").fill(operator.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Orders" })).toBeVisible();
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
