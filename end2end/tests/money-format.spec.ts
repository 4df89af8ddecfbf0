import { Checkout, expect, LANGUAGES, test } from "./shop";

// Money reads as the browser's own formatter writes it: `Intl.NumberFormat` for the
// page's language and the cart's currency, compared on the catalog, the cart and the
// checkout, with thousands grouping, in each of the shop's languages (in Chinese the
// US dollar is written US$).

/** What `Intl.NumberFormat(locale, currency)` makes of `minor` units, in the page. */
async function intl(page: import("@playwright/test").Page, minor: number, locale: string): Promise<string> {
  return page.evaluate(
    ([minor, locale]) =>
      new Intl.NumberFormat(locale, { style: "currency", currency: "USD" }).format(minor / 100),
    [minor, locale] as const,
  );
}

for (const lang of LANGUAGES) {
test.describe(lang, () => {
test.use({ locale: lang === "en" ? "en-US" : lang });

test("prices, line totals and totals match Intl.NumberFormat", async ({ shop, page, browser }) => {
  // The formatter runs in a page with JavaScript even when the shop's page has none.
  const tag = shop.lang === "en" ? "en-US" : shop.lang;
  const scripted = shop.hydrated ? page : await (await browser.newContext()).newPage();
  if (!shop.hydrated) await scripted.goto("about:blank");
  await shop.open("/");
  // Seed prices: Merino Wool Throw 129.00 (stock 6), Enamel Kettle 72.00 (stock 8).
  await expect(shop.product("Merino Wool Throw").getByText(await intl(scripted, 12900, tag), { exact: true })).toBeVisible();
  await shop.addToCart("Merino Wool Throw", "6");
  await expect(shop.cartCount).toHaveText("6");
  await shop.addToCart("Enamel Kettle", "8");
  await expect(shop.cartCount).toHaveText("14");
  await shop.open("/cart");
  const subtotal = 6 * 12900 + 8 * 7200;
  await expect(page.getByTestId("subtotal")).toHaveText(await intl(scripted, subtotal, tag));
  await expect(shop.cartLine("Merino Wool Throw").getByTestId("line-total")).toHaveText(await intl(scripted, 6 * 12900, tag));
  if (shop.hydrated) {
    const checkout = new Checkout(shop);
    await checkout.open();
    await expect(page.getByTestId("checkout-subtotal")).toHaveText(await intl(scripted, subtotal, tag));
    await expect(page.getByTestId("checkout-shipping")).toHaveText(await intl(scripted, 500, tag));
    await expect(checkout.total()).toHaveText(await intl(scripted, subtotal + 500, tag));
  }
  if (scripted !== page) await scripted.context().close();
});
});
}
