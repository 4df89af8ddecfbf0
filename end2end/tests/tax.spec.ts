import { ada, Checkout, expect, Shop, submittedOrder, test } from "./shop";

// Tax on top of the shown prices, worked out by the server from the delivery address:
// the checkout re-prices as the address changes, Stripe charges what the page shows,
// and the confirmation keeps the line the order locked.

/** A Canadian shopper in Ontario (13% HST on goods and delivery). */
const grace = {
  ...ada,
  email: "grace@example.com",
  name: "Grace Hopper",
  line1: "24 Sussex Drive",
  city: "Ottawa",
  region: "ON",
  postalCode: "K1M 1M4",
  country: "CA",
};

/** The cart with one Canvas Tote ($22.00), and the checkout open. */
async function checkoutWithTote(shop: Shop): Promise<Checkout> {
  await shop.open("/");
  await shop.addToCart("Canvas Tote", "1");
  await expect(shop.cartCount).toHaveText("1");
  const checkout = new Checkout(shop);
  if (shop.hydrated) await checkout.open();
  else await shop.open("/checkout");
  return checkout;
}

test.describe("hydrated", () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "re-pricing as the address changes needs JavaScript");

  test("the address re-prices the page and the Payment Element, and the order keeps the tax", async ({ shop }) => {
    const checkout = await checkoutWithTote(shop);
    const page = shop.page;
    // No state yet: nothing is promised but that the tax follows the address.
    await expect(page.getByTestId("checkout-tax")).toHaveText("Calculated from your delivery address");
    await expect(page.locator(".grand-total dt")).toHaveText("Total before tax");
    await expect(checkout.total()).toHaveText("$27.00");

    await page.getByLabel("Country").selectOption("GB");
    await expect(page.getByTestId("checkout-tax-label")).toHaveText("VAT (20%)");
    await expect(page.getByTestId("checkout-tax")).toHaveText("$5.40");
    await expect(checkout.total()).toHaveText("$32.40");
    await expect(checkout.payButton()).toHaveText("Pay $32.40");
    expect((await checkout.session()).totals.total.minor).toBe(3240);

    // Back to the US: a state with sales tax (on the goods, not the delivery)...
    await page.getByLabel("Country").selectOption("US");
    await expect(page.getByTestId("checkout-tax")).toHaveText("Calculated from your delivery address");
    await page.getByLabel("State or region").fill("California");
    await page.getByLabel("State or region").blur();
    await expect(page.getByTestId("checkout-tax-label")).toHaveText("Sales tax (7.25%)");
    await expect(page.getByTestId("checkout-tax")).toHaveText("$1.60");
    await expect(checkout.total()).toHaveText("$28.60");
    // ...and one where the shop charges none, which the line says.
    await page.getByLabel("State or region").fill("IL");
    await page.getByLabel("State or region").blur();
    await expect(page.getByTestId("checkout-tax")).toHaveText("None applies to this address");
    await expect(page.locator(".grand-total dt")).toHaveText("Total");
    await expect(checkout.total()).toHaveText("$27.00");

    // Ontario: the Payment Element fetched the new amount, and Stripe charges it.
    await checkout.fillDetails(grace);
    await expect(page.getByTestId("checkout-tax-label")).toHaveText("HST (13%)");
    await expect(checkout.total()).toHaveText("$30.51");
    await expect(checkout.payButton()).toHaveText("Pay $30.51");
    await expect(checkout.payButton()).toBeEnabled();
    await checkout.fillCard("4242 4242 4242 4242");
    await checkout.pay();
    expect((await checkout.returned()).get("redirect_status")).toBe("succeeded");
    await expect(page.getByTestId("order-status")).toHaveText("Paid: your order is confirmed.");
    await expect(page.getByTestId("order-tax")).toHaveText("$3.51");
    await expect(page.locator(".totals")).toContainText("HST (13%)");
    await expect(page.getByTestId("order-total")).toHaveText("$30.51");
  });

  test("an address typed without leaving its field is taxed at Pay, never under-charged", async ({ shop }) => {
    const checkout = await checkoutWithTote(shop);
    const page = shop.page;
    // Filled by script with no change event (as some autofill does): the page still
    // shows the price for the US without a state when Pay is pressed.
    await checkout.fillDetails({ ...grace, country: "US", region: "IL" });
    await expect(checkout.total()).toHaveText("$27.00");
    await page.evaluate(() => {
      const country = document.querySelector<HTMLSelectElement>("#checkout-country")!;
      country.value = "CA";
      const region = document.querySelector<HTMLInputElement>("#checkout-region")!;
      region.value = "ON";
    });
    await checkout.fillCard("4242 4242 4242 4242");
    await checkout.pay();
    // The server priced the submitted address: the page is told the new total and
    // re-prices before anything is confirmed.
    await expect(checkout.message()).toContainText("$30.51");
    await expect(checkout.total()).toHaveText("$30.51");
    await expect(page.getByTestId("checkout-tax-label")).toHaveText("HST (13%)");
    await expect(checkout.payButton()).toHaveText("Pay $30.51");
    await checkout.pay();
    expect((await checkout.returned()).get("redirect_status")).toBe("succeeded");
    await expect(page.getByTestId("order-total")).toHaveText("$30.51");
  });

  test("a state that is none is pointed out as the shopper leaves the field, and its tax waits", async ({ shop }) => {
    const checkout = await checkoutWithTote(shop);
    const page = shop.page;
    const state = page.getByLabel("State or region");
    await page.getByLabel("Country").selectOption("US");
    await state.fill("Calif");
    await state.press("Tab");
    await expect(state).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByText("Enter a US state, such as CA or California.")).toBeVisible();
    await expect(page.getByTestId("checkout-tax")).toHaveText("Calculated from your delivery address");
    await state.fill("California");
    await state.press("Tab");
    await expect(state).toHaveAttribute("aria-invalid", "false");
    // 7.25% of the goods ($22.00), not of delivery.
    await expect(page.getByTestId("checkout-tax")).toHaveText("$1.60");
    await expect(checkout.payButton()).toHaveText("Pay $28.60");
  });
});

test.describe("without JavaScript", () => {
  test.skip(({ javaScriptEnabled }) => javaScriptEnabled, "the server-rendered page alone");

  test("the checkout shows the tax line for where the cart is going", async ({ shop }) => {
    await checkoutWithTote(shop);
    const page = shop.page;
    await expect(page.getByTestId("checkout-tax")).toHaveText("Calculated from your delivery address");
    await expect(page.locator(".grand-total dt")).toHaveText("Total before tax");
    // The cart was priced for the UK elsewhere (another tab, with JavaScript).
    const prepared = await page.request.post("/api/checkout/prepare", {
      form: { shipping: "standard", country: "GB", region: "" },
      headers: { Accept: "application/json" },
    });
    expect(prepared.ok()).toBe(true);
    await shop.open("/checkout");
    await expect(page.getByTestId("checkout-tax-label")).toHaveText("VAT (20%)");
    await expect(page.getByTestId("checkout-tax")).toHaveText("$5.40");
    await expect(page.getByTestId("checkout-total")).toHaveText("$32.40");
    await expect(page.getByLabel("Country")).toHaveValue("GB");
  });

  test("the shopper re-prices delivery and tax for their address with a button", async ({ shop }) => {
    await checkoutWithTote(shop);
    const page = shop.page;
    await page.getByLabel("Country").selectOption("GB");
    await page.getByLabel("Express delivery (next working day)").check();
    await page.getByRole("button", { name: "Update delivery and tax" }).click();
    await expect(page).toHaveURL(/\/checkout\??$/);
    await expect(page.getByLabel("Country")).toHaveValue("GB");
    await expect(page.getByLabel("Express delivery (next working day)")).toBeChecked();
    await expect(page.getByTestId("checkout-shipping")).toHaveText("$15.00");
    // 20% of $22.00 and $15.00.
    await expect(page.getByTestId("checkout-tax-label")).toHaveText("VAT (20%)");
    await expect(page.getByTestId("checkout-tax")).toHaveText("$7.40");
    await expect(page.getByTestId("checkout-total")).toHaveText("$44.40");
    // A state where the shop charges none: the line says so.
    await page.getByLabel("Country").selectOption("US");
    await page.getByLabel("State or region").fill("Illinois");
    await page.getByRole("button", { name: "Update delivery and tax" }).click();
    await expect(page.getByTestId("checkout-tax")).toHaveText("None applies to this address");
    await expect(page.getByLabel("State or region")).toHaveValue("IL");
    // A state that is none stays as typed and is pointed out next to its field; the
    // tax waits for a real one.
    await page.getByLabel("State or region").fill("Calif");
    await page.getByRole("button", { name: "Update delivery and tax" }).click();
    await expect(page.getByLabel("State or region")).toHaveValue("Calif");
    await expect(page.getByLabel("State or region")).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByText("Enter a US state, such as CA or California.")).toBeVisible();
    await expect(page.getByTestId("checkout-tax")).toHaveText("Calculated from your delivery address");
    // Enter in a field posts nothing: Pay, disabled without JavaScript, is the form's
    // default button, so what the shopper typed stays.
    await page.getByLabel("Email").fill("ada@example.com");
    const posts: string[] = [];
    page.on("request", (request) => request.method() === "POST" && posts.push(request.url()));
    await page.getByLabel("Email").press("Enter");
    await page.waitForTimeout(300);
    expect(posts).toEqual([]);
    await expect(page.getByLabel("Email")).toHaveValue("ada@example.com");
  });

  test("the confirmation page shows the order's tax line", async ({ shop }) => {
    const session = await submittedOrder(shop, "Canvas Tote");
    await shop.open(
      `/order-confirmation?payment_intent=${session.payment_intent}&payment_intent_client_secret=${session.client_secret}&redirect_status=succeeded`,
    );
    await expect(shop.page.locator(".totals")).toContainText("Tax");
    await expect(shop.page.getByTestId("order-tax")).toHaveText("None applies to this address");
    await expect(shop.page.getByTestId("order-total")).toHaveText("$27.00");
  });
});
