import { Checkout, expect, test } from "./shop";

// Money reads as the browser's own formatter writes it: `Intl.NumberFormat` for the
// page's language and the cart's currency, compared on the catalog, the cart and the
// checkout, with thousands grouping. (English today; each language added is checked
// the same way.)

/** What `Intl.NumberFormat(locale, currency)` makes of `minor` units, in the page. */
async function intl(page: import("@playwright/test").Page, minor: number): Promise<string> {
  return page.evaluate(
    ([minor, locale]) =>
      new Intl.NumberFormat(locale, { style: "currency", currency: "USD" }).format(minor / 100),
    [minor, "en-US"] as const,
  );
}

test("prices, line totals and totals match Intl.NumberFormat", async ({ shop, page, browser }) => {
  // The formatter runs in a page with JavaScript even when the shop's page has none.
  const scripted = shop.hydrated ? page : await (await browser.newContext()).newPage();
  if (!shop.hydrated) await scripted.goto("about:blank");
  await shop.open("/");
  // Seed prices: Merino Wool Throw 129.00 (stock 6), Enamel Kettle 72.00 (stock 8).
  await expect(shop.product("Merino Wool Throw").getByText(await intl(scripted, 12900), { exact: true })).toBeVisible();
  await shop.addToCart("Merino Wool Throw", "6");
  await expect(shop.cartCount).toHaveText("6");
  await shop.addToCart("Enamel Kettle", "8");
  await expect(shop.cartCount).toHaveText("14");
  await shop.open("/cart");
  const subtotal = 6 * 12900 + 8 * 7200;
  await expect(page.getByTestId("subtotal")).toHaveText(await intl(scripted, subtotal));
  await expect(shop.cartLine("Merino Wool Throw").getByTestId("line-total")).toHaveText(await intl(scripted, 6 * 12900));
  if (shop.hydrated) {
    const checkout = new Checkout(shop);
    await checkout.open();
    await expect(page.getByTestId("checkout-subtotal")).toHaveText(await intl(scripted, subtotal));
    await expect(page.getByTestId("checkout-shipping")).toHaveText(await intl(scripted, 500));
    await expect(checkout.total()).toHaveText(await intl(scripted, subtotal + 500));
  }
  if (scripted !== page) await scripted.context().close();
});
