import { ada, Checkout, expect, type Shop, test, words } from "./shop";

// English and Simplified Chinese. The language comes from the shopper's choice (the
// switcher's cookie), else the browser's Accept-Language, else English; the server
// renders the page in it, `<html lang>` says so, and the hydrated page agrees (the
// fixture fails on any page error or hydration complaint). Stripe's Payment Element
// and its messages speak the same language.

const zh = (key: string, values: Record<string, string | number> = {}) => words("zh-CN", key, values);
const en = (key: string, values: Record<string, string | number> = {}) => words("en", key, values);

async function heading(shop: Shop): Promise<string | null> {
  return shop.page.getByRole("heading", { level: 1 }).textContent();
}

test.describe("a browser that prefers Chinese", () => {
  test.use({ locale: "zh-CN" });

  test("gets every page in Simplified Chinese, with prices as Chinese readers write them", async ({ shop }) => {
    const page = shop.page;
    await shop.open("/");
    await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
    await expect(page).toHaveTitle(zh("site.title", { page: zh("catalog.title") }));
    expect(await heading(shop)).toBe(zh("catalog.heading"));
    await expect(shop.product("Canvas Tote").locator(".price")).toHaveText("US$22.00");
    await expect(shop.product("Canvas Tote").locator(".description")).toHaveText("厚实的有机棉帆布，底部加宽，配有长提手。");
    await expect(page.getByRole("button", { name: "简体中文" })).toHaveAttribute("aria-pressed", "true");
    await shop.addToCart("Canvas Tote");
    await expect(shop.cartCount).toHaveText("1");
    if (shop.hydrated) await expect(page.getByRole("status")).toHaveText(zh("catalog.added"));

    await shop.open("/cart");
    expect(await heading(shop)).toBe(zh("cart.title"));
    await expect(page.getByText(zh("cart.subtotal_one"))).toBeVisible();
    await expect(page.getByTestId("subtotal")).toHaveText("US$22.00");

    await shop.open("/checkout");
    expect(await heading(shop)).toBe(zh("checkout.title"));
    await expect(page.getByTestId("checkout-tax")).toHaveText(zh("checkout.tax.pending"));
    await expect(page.getByLabel(zh("checkout.country"))).toContainText(zh("checkout.countries.GB"));
    if (!shop.hydrated) await expect(page.getByTestId("needs-javascript")).toHaveText(zh("checkout.needs_javascript"));

    await shop.open("/no-such-page");
    expect(await heading(shop)).toBe(zh("site.not_found.heading"));
    await shop.open("/order-confirmation");
    await expect(page.getByTestId("confirmation-problem")).toHaveText(zh("order.no_order_text"));
  });

  test("a refused request is explained in Chinese", async ({ shop }) => {
    await shop.open("/");
    await shop.addToCart("Canvas Tote", "0");
    await expect(shop.alert()).toHaveText(zh("errors.quantity_too_small"));
  });

  test("pays in Chinese: our form and messages, Stripe's element and messages, the confirmation", async ({ shop }) => {
    test.skip(!shop.hydrated, "paying needs JavaScript");
    const page = shop.page;
    await shop.open("/");
    await shop.addToCart("Canvas Tote");
    await expect(shop.cartCount).toHaveText("1");
    const checkout = new Checkout(shop);
    await checkout.open();
    // Stripe.js was told `zh`: the card form is Stripe's Chinese.
    await expect(checkout.element.getByLabel("卡号")).toBeVisible();
    await expect(checkout.payButton()).toHaveText(zh("checkout.pay", { total: "US$27.00" }));
    // Our own checks, in Chinese, next to each field.
    await checkout.pay();
    await expect(page.locator("#checkout-email-error")).toHaveText(zh("checkout.fields.required_email"));
    await expect(page.getByLabel(zh("checkout.email"))).toBeFocused();
    // Delivery to the UK: VAT, named and priced in Chinese.
    await checkout.fillDetails({ ...ada, region: "", country: "GB", postalCode: "SW1Y 4JH" });
    await expect(page.getByTestId("checkout-tax-label")).toHaveText(
      zh("checkout.tax.line", { name: zh("checkout.tax.vat"), rate: "20%" }),
    );
    await expect(checkout.total()).toHaveText("US$32.40");
    // Stripe's decline, shown as Stripe wrote it: in Chinese.
    await checkout.fillCard("4000 0000 0000 9995");
    await checkout.pay();
    await expect(checkout.message()).toHaveText("您的银行卡余额不足。");
    await checkout.fillCard("4242 4242 4242 4242");
    await checkout.pay();
    expect((await checkout.returned()).get("redirect_status")).toBe("succeeded");
    await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
    await expect(page.getByTestId("order-status")).toHaveText(zh("order.status.paid"));
    await expect(page.getByTestId("order-total")).toHaveText("US$32.40");
    await expect(page.getByTestId("order-tax")).toHaveText("US$5.40");
    await expect(page.locator(".order-lines")).toContainText("帆布托特包");
    // Switching language here returns to the order, and never puts the client secret
    // (taken out of the address once the page is live) back into it.
    await expect(page).toHaveURL(/\/order-confirmation\?order=R/);
    await page.getByRole("button", { name: "English" }).click();
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await expect(page).toHaveURL(/\/order-confirmation\?order=R\w+$/);
    await expect(page.getByTestId("order-status")).toHaveText(en("order.status.paid"));
  });
});

test("the switcher keeps the shopper on the same page and remembers the choice", async ({ shop }) => {
  const page = shop.page;
  await shop.open("/");
  await shop.addToCart("Canvas Tote");
  await expect(shop.cartCount).toHaveText("1");
  await shop.open("/cart");
  expect(await heading(shop)).toBe(en("cart.title"));
  await expect(page.getByRole("button", { name: "English" })).toHaveAttribute("aria-pressed", "true");
  // The cart link reads as a sentence, singular for one item.
  await expect(page.getByRole("link", { name: "Cart 1 item", exact: true })).toBeVisible();

  await page.getByRole("button", { name: "简体中文" }).click();
  await expect(page).toHaveURL(/\/cart$/);
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  if (shop.hydrated) await page.locator("html[data-hydrated]").waitFor();
  expect(await heading(shop)).toBe(zh("cart.title"));
  await expect(shop.cartCount).toHaveText("1");

  // Remembered on the next page, and a query string survives the switch back.
  await shop.open("/order-confirmation?order=R0000000000000000");
  expect(await heading(shop)).toBe(zh("order.not_found_heading"));
  await page.getByRole("button", { name: "English" }).click();
  await expect(page).toHaveURL(/\/order-confirmation\?order=R0000000000000000$/);
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  expect(await heading(shop)).toBe(en("order.not_found_heading"));
  const cookie = (await page.context().cookies()).find((c) => c.name === "locale");
  expect(cookie?.value).toBe("en");
  expect(cookie?.httpOnly).toBe(true);
});

test("pages say what their language was chosen by, and the cached catalog is kept per language", async ({ request }) => {
  for (const [header, lang, text] of [
    ["zh-CN,zh;q=0.9,en;q=0.8", "zh-CN", zh("catalog.heading")],
    ["en-GB,en;q=0.9", "en", en("catalog.heading")],
    ["fr, zh-Hans;q=0.5, en;q=0.3", "zh-CN", zh("catalog.heading")],
    ["zh-TW", "en", en("catalog.heading")],
  ]) {
    // Twice: the second answer comes from the cache of the anonymous catalog.
    for (let visit = 0; visit < 2; visit++) {
      const response = await request.get("/", { headers: { "Accept-Language": header } });
      expect(response.status()).toBe(200);
      const vary = response.headers()["vary"] ?? "";
      expect(vary, header).toMatch(/accept-language/i);
      expect(vary, header).toMatch(/cookie/i);
      const html = await response.text();
      expect(html, header).toContain(`<html lang="${lang}"`);
      expect(html, header).toContain(text);
    }
  }
});
