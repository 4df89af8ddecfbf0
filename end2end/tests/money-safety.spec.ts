import { control, expect, Shop, submittedOrder, test } from "./shop";

// What a shopper sees where money could otherwise be taken twice or for goods that
// are gone. These run after the confirmation tests (which hold webhooks), and each
// project uses its own product, so the two projects never hold each other's units.

test("a payment under way is never offered a second time", async ({ shop, request }) => {
  const session = await submittedOrder(shop);
  // A delayed method (SEPA, ACH): the bank decides days later.
  await control(request, `payment_intents/${session.payment_intent}/force`, { status: "processing" });
  await expect
    .poll(async () => {
      await shop.open("/checkout");
      return shop.page.getByTestId("payment-under-way").count();
    })
    .toBe(1);
  await expect(shop.page.getByTestId("payment-under-way")).toContainText("A payment is under way for this order.");
  await expect(shop.page.getByRole("button", { name: /^Pay/ })).toHaveCount(0);
  // The bank says no: the shopper may pay again.
  await control(request, `payment_intents/${session.payment_intent}/force`, { status: "payment_failed" });
  await expect
    .poll(async () => {
      await shop.open("/checkout");
      return shop.page.getByTestId("payment-under-way").count();
    })
    .toBe(0);
  await expect(shop.page.getByTestId("checkout-total")).toBeVisible();
});

test("the last units, held for a shopper who submitted, are sold out for everyone else", async ({ shop, request, browser, javaScriptEnabled }) => {
  // Both projects run at once: each holds the whole stock of its own product.
  const [product, stock] = javaScriptEnabled ? ["Copper Coffee Scoop", "3"] : ["Merino Wool Throw", "6"];
  const session = await submittedOrder(shop, product, stock);

  const context = await browser.newContext({ javaScriptEnabled });
  const other = new Shop(await context.newPage(), javaScriptEnabled);
  await other.open("/");
  await expect(other.product(product)).toContainText("Sold out");
  await expect(other.product(product).getByRole("button", { name: "Add to cart" })).toHaveCount(0);

  // The first shopper's payment fails: the units are back on the shelf.
  await control(request, `payment_intents/${session.payment_intent}/force`, { status: "payment_failed" });
  await expect
    .poll(async () => {
      await other.open("/");
      return other.product(product).getByRole("button", { name: "Add to cart" }).count();
    })
    .toBe(1);
  await expect(other.product(product)).not.toContainText("Sold out");
  await context.close();
});
