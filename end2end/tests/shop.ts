import { expect, test as base, type APIRequestContext, type FrameLocator, type Locator, type Page } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";

/** The shop's languages, as `<html lang>` and the `locale` cookie name them. */
export type Lang = "en" | "zh-CN";
export const LANGUAGES: Lang[] = ["en", "zh-CN"];

/** The shop's own strings (`locales/<lang>/<module>.json`), so the same steps find the
 * same controls in either language. */
const strings: Record<Lang, any> = Object.fromEntries(
  LANGUAGES.map((lang) => {
    const dir = path.resolve(__dirname, "../../locales", lang);
    const modules = fs.readdirSync(dir).map((file) => [path.basename(file, ".json"), JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"))]);
    return [lang, Object.fromEntries(modules)];
  }),
) as Record<Lang, any>;

/** The text the shop shows for `key` (`"checkout.email"`) in `lang`: values filled in,
 * component tags (`<strong>`) dropped as the page renders only their text. */
export function words(lang: Lang, key: string, values: Record<string, string | number> = {}): string {
  const text = key.split(".").reduce((node, part) => node?.[part], strings[lang]);
  if (typeof text !== "string") throw new Error(`no string ${key} in ${lang}`);
  return text
    .replace(/\{\{\s*(\w+)\s*\}\}/g, (_: string, name: string) => {
      if (!(name in values)) throw new Error(`${key} needs ${name}`);
      return String(values[name]);
    })
    .replace(/<\/?\w+\s*\/?>/g, "");
}

/** The products tests buy, as the catalog names them in Chinese
 * (`product_translations`); tests name them in English. */
const PRODUCTS_IN_CHINESE: Record<string, string> = {
  "Canvas Tote": "帆布托特包",
  "Enamel Kettle": "搪瓷水壶",
  "Linen Apron": "亚麻围裙",
  "Merino Wool Throw": "美利奴羊毛毯",
  "Stoneware Mug": "粗陶马克杯",
};

/** A page of the shop, driven the way a shopper sees it. */
export class Shop {
  readonly cartCount: Locator;

  constructor(
    readonly page: Page,
    readonly hydrated: boolean,
    /** The language the shop speaks to this browser. */
    readonly lang: Lang = "en",
  ) {
    this.cartCount = page.getByTestId("cart-count");
  }

  /** The shop's text for `key` in this shopper's language. */
  t(key: string, values: Record<string, string | number> = {}): string {
    return words(this.lang, key, values);
  }

  /** Opens a path and, when JavaScript runs, waits until the page is hydrated:
   * clicks before hydration would be lost. */
  async open(path: string) {
    await this.page.goto(path);
    if (this.hydrated) {
      await this.page.locator("html[data-hydrated]").waitFor();
    }
  }

  /** A product's name (given in English) as this shopper reads it. */
  productName(name: string): string {
    return this.lang === "zh-CN" ? (PRODUCTS_IN_CHINESE[name] ?? name) : name;
  }

  product(name: string): Locator {
    return this.page.getByRole("article", { name: this.productName(name) });
  }

  async addToCart(name: string, quantity?: string) {
    const product = this.product(name);
    if (quantity !== undefined) {
      await product.getByLabel(this.t("catalog.quantity")).fill(quantity);
    }
    await product.getByRole("button", { name: this.t("catalog.add") }).click();
  }

  cartLine(name: string): Locator {
    return this.page
      .getByRole("list", { name: this.t("cart.lines_label") })
      .getByRole("article", { name: this.productName(name) });
  }

  async setQuantity(name: string, quantity: string) {
    const line = this.cartLine(name);
    await line.getByLabel(this.t("cart.quantity_of", { name: this.productName(name) }), { exact: true }).fill(quantity);
    await line.getByRole("button", { name: this.t("cart.update") }).click();
  }

  alert(): Locator {
    return this.page.getByRole("alert");
  }
}

type Fixtures = { shop: Shop };

/** The test with a `shop` fixture, failing on any Content-Security-Policy violation,
 * page error or hydration complaint. The shop speaks the language the browser's
 * `locale` asks for (`test.use({ locale: "zh-CN" })`). */
export const test = base.extend<Fixtures>({
  shop: async ({ page, javaScriptEnabled, locale }, use, testInfo) => {
    const violations: string[] = [];
    const consoleLines: string[] = [];
    page.on("console", (message) => {
      consoleLines.push(`${message.type()}: ${message.text()}`);
      if (/Content Security Policy|Refused to (execute|load|connect|apply)|hydrat/i.test(message.text())) {
        violations.push(message.text());
      }
    });
    page.on("pageerror", (error) => violations.push(`page error: ${error.message}`));
    await use(new Shop(page, javaScriptEnabled, locale?.startsWith("zh") ? "zh-CN" : "en"));
    if (testInfo.status !== testInfo.expectedStatus && consoleLines.length > 0) {
      await testInfo.attach("console", { body: consoleLines.join("\n"), contentType: "text/plain" });
      console.log(`console of "${testInfo.title}":\n${consoleLines.join("\n")}`);
    }
    expect(violations, "CSP violations or page errors").toEqual([]);
  },
});

export { expect };

/** The shop's own (embedded) emulator, on another site than the shop. */
export const shopStripeURL = `http://127.0.0.2:${process.env.SHOP_EMULATOR_PORT ?? 12114}`;

/** Contact and delivery details as a shopper types them. */
export const ada = {
  email: "ada@example.com",
  name: "Ada Lovelace",
  line1: "1 Main Street",
  city: "Springfield",
  region: "IL",
  postalCode: "62701",
  country: "US",
};

/**
 * The checkout page, driven with Stripe's own Payment Element selectors (the iframe's
 * title and its inputs' names), so the same steps run against Stripe's test mode.
 */
export class Checkout {
  readonly element: FrameLocator;
  /** Addresses Stripe.js sent the browser to (the page later drops the secret). */
  readonly returns: string[] = [];

  constructor(readonly shop: Shop) {
    this.element = shop.page.frameLocator('iframe[title="Secure payment input frame"]');
    shop.page.on("request", (request) => {
      if (request.isNavigationRequest() && request.url().includes("/order-confirmation?payment_intent=")) {
        this.returns.push(request.url());
      }
    });
  }

  get page(): Page {
    return this.shop.page;
  }

  payButton(): Locator {
    // "Pay $23.00" or "Paying $23.00…" ("支付US$23.00", "正在支付US$23.00…"); not
    // "Try again" after a failed preparation.
    const prefix = (key: string) => this.shop.t(key, { total: "" }).replace("…", "").trim();
    return this.page.getByRole("button", {
      name: new RegExp(`^(${prefix("checkout.pay")}|${prefix("checkout.paying")})`),
    });
  }

  /**
   * Presses Pay once the page has stopped moving. The Payment Element's iframe grows
   * and shrinks as its field errors come and go, which moves the button below it; a
   * click aimed before that settles can land beside the button.
   */
  async pay(options: { double?: boolean } = {}) {
    await this.payButton().scrollIntoViewIfNeeded();
    // Ten animation frames with the button at the same place in the viewport.
    await this.page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const button = document.querySelector(".pay-button")!;
          let last = "";
          let still = 0;
          const tick = () => {
            const rect = button.getBoundingClientRect();
            const where = `${rect.top},${rect.left},${window.scrollY}`;
            still = where === last ? still + 1 : 0;
            last = where;
            if (still >= 10) resolve();
            else requestAnimationFrame(tick);
          };
          tick();
        }),
    );
    if (options.double) await this.payButton().dblclick();
    else await this.payButton().click();
  }

  message(): Locator {
    return this.page.locator("#payment-message");
  }

  total(): Locator {
    return this.page.getByTestId("checkout-total");
  }

  /** Opens /checkout and waits for the Payment Element to be ready. */
  async open() {
    await this.shop.open("/checkout");
    await expect(this.element.locator('input[name="number"]')).toBeVisible();
    await expect(this.payButton()).toBeEnabled();
  }

  async fillDetails(details = ada) {
    const t = (key: string) => this.shop.t(`checkout.${key}`);
    await this.page.getByLabel(t("email")).fill(details.email);
    await this.page.getByLabel(t("full_name")).fill(details.name);
    await this.page.getByLabel(t("line1"), { exact: true }).fill(details.line1);
    await this.page.getByLabel(t("city")).fill(details.city);
    await this.page.getByLabel(t("region")).fill(details.region);
    await this.page.getByLabel(t("postal_code")).fill(details.postalCode);
    await this.page.getByLabel(t("country")).selectOption(details.country);
  }

  async fillCard(number: string) {
    await this.element.locator('input[name="number"]').fill(number);
    await this.element.locator('input[name="expiry"]').fill("12 / 34");
    await this.element.locator('input[name="cvc"]').fill("123");
    const postal = this.element.locator('input[name="postalCode"]');
    if (await postal.isVisible()) await postal.fill("94103");
  }

  /** The payment session the page holds, asked of the shop the way the page asks
   * (same cookie, nothing changed): its PaymentIntent and publishable key. */
  async session(): Promise<any> {
    const response = await this.page.request.post("/api/checkout/prepare", {
      form: { shipping: "" },
      headers: { Accept: "application/json" },
    });
    return response.json();
  }

  /** The 3-D Secure test page inside the challenge modal. */
  challenge(): FrameLocator {
    return this.page
      .frameLocator('iframe[name^="__privateStripeFrame"][src*="three-ds-2-challenge"]')
      .frameLocator("#challengeFrame")
      .frameLocator('iframe[name="stripe-challenge-frame"]');
  }

  /** Waits for the return to /order-confirmation and gives its query parameters. */
  async returned(): Promise<URLSearchParams> {
    await this.page.waitForURL(/\/order-confirmation\?/);
    await expect.poll(() => this.returns.length).toBeGreaterThan(0);
    return new URL(this.returns[0]).searchParams;
  }
}

/** Requests the shop's emulator logged for paths ending in `pathEnd`. */
export async function stripeRequests(request: APIRequestContext, pathEnd: string): Promise<number> {
  const log = await (await request.get(`${shopStripeURL}/_emulator/requests`)).json();
  return log.data.filter((r: any) => r.method === "POST" && r.path.endsWith(pathEnd)).length;
}

/** A PaymentIntent as the browser may read it (publishable key and client secret). */
export async function paymentIntent(request: APIRequestContext, params: URLSearchParams, publishableKey: string): Promise<any> {
  const id = params.get("payment_intent");
  const response = await request.get(`${shopStripeURL}/v1/payment_intents/${id}`, {
    params: { key: publishableKey, client_secret: params.get("payment_intent_client_secret") ?? "" },
  });
  return response.json();
}

/** A fresh shopper with `count` mugs in the cart, on a ready checkout. */
export async function checkoutWithMugs(shop: Shop, count = "1"): Promise<Checkout> {
  await shop.open("/");
  await shop.addToCart("Stoneware Mug", count);
  await expect(shop.cartCount).toHaveText(count);
  const checkout = new Checkout(shop);
  await checkout.open();
  return checkout;
}

/** `POST /_emulator/{path}` on the shop's emulator, insisting it worked. */
export async function control(request: APIRequestContext, path: string, body: object) {
  const response = await request.post(`${shopStripeURL}/_emulator/${path}`, { data: body });
  expect(response.ok(), `${path}: ${await response.text()}`).toBe(true);
}

/** A cart with `quantity` × `product` and a submitted order, without paying: its
 * payment session. */
export async function submittedOrder(shop: Shop, product = "Stoneware Mug", quantity = "1"): Promise<any> {
  await shop.open("/");
  await shop.addToCart(product, quantity);
  await expect(shop.cartCount).toHaveText(quantity);
  const page = shop.page;
  const session = await (
    await page.request.post("/api/checkout/prepare", {
      form: { shipping: "standard", country: ada.country, region: ada.region },
      headers: { Accept: "application/json" },
    })
  ).json();
  const submitted = await page.request.post("/api/checkout/submit", {
    headers: { Accept: "application/json" },
    form: {
      email: ada.email,
      name: ada.name,
      line1: ada.line1,
      line2: "",
      city: ada.city,
      region: ada.region,
      postal_code: ada.postalCode,
      country: ada.country,
      shipping: "standard",
      payment_intent: session.payment_intent,
      cart_version: String(session.cart_version),
      total: String(session.totals.total.minor),
    },
  });
  expect(submitted.ok(), await submitted.text()).toBe(true);
  return session;
}
