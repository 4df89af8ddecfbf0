import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { Checkout, checkoutWithMugs, control, expect, type Shop, submittedOrder, test } from "./shop";

// The accessibility gate: axe-core with the WCAG 2.1 A and AA rules on every page a
// shopper can reach, in the states they reach it in, hydrated and without JavaScript.
// A serious or critical violation fails the test with axe's own account of it; minor
// and moderate ones are printed, not failed on. Frames are checked too, so the
// Payment Element and the 3-D Secure modal (the emulator's, standing in for Stripe's)
// are held to the same rules as the shop's own pages.

const WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

async function expectAccessible(shop: Shop, what: string) {
  const page = shop.page;
  const checked = shop.hydrated ? page : await withoutScripts(page);
  const results = await new AxeBuilder({ page: checked }).withTags(WCAG_21_AA).analyze();
  if (checked !== page) await checked.context().close();
  const blocking = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const others = results.violations.filter((v) => !blocking.includes(v));
  if (others.length > 0) {
    console.log(`${what}: minor or moderate: ${others.map((v) => `${v.id} (${v.nodes.length})`).join(", ")}`);
  }
  const report = blocking.map(
    (v) =>
      `${v.impact} ${v.id}: ${v.help}\n` +
      v.nodes.map((n) => `    ${n.target.join(" > ")}\n      ${n.failureSummary?.replace(/\n/g, "\n      ")}`).join("\n"),
  );
  expect(report, `${what}: serious or critical accessibility violations`).toEqual([]);
}

/**
 * axe runs as a script, which a page with JavaScript turned off cannot run. So the
 * page is opened again, with the same cookies, in a context where scripts may run but
 * the page has none: every `<script>` is taken out of the HTML and every `<noscript>`
 * unwrapped, which is how a browser without JavaScript renders it.
 */
async function withoutScripts(page: Page): Promise<Page> {
  const context = await page
    .context()
    .browser()!
    .newContext({ javaScriptEnabled: true, storageState: await page.context().storageState() });
  const mirror = await context.newPage();
  const origin = new URL(page.url()).origin;
  await mirror.route("**/*", async (route) => {
    const request = route.request();
    if (request.resourceType() === "script") return route.abort();
    if (request.resourceType() !== "document" || !request.url().startsWith(origin)) return route.continue();
    const response = await route.fetch();
    const html = (await response.text())
      .replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, "")
      .replace(/<\/?noscript>/gi, "");
    const headers = { ...response.headers() };
    delete headers["content-encoding"];
    delete headers["content-length"];
    return route.fulfill({ status: response.status(), headers, body: html });
  });
  await mirror.goto(page.url());
  await expect(mirror.getByRole("heading", { level: 1 })).toBeVisible();
  return mirror;
}

/** The confirmation page after the shopper's return from Stripe. */
function returnURL(session: any): string {
  return `/order-confirmation?payment_intent=${session.payment_intent}&payment_intent_client_secret=${session.client_secret}&redirect_status=succeeded`;
}

async function openPage(shop: Shop, path: string) {
  await shop.open(path);
  await expect(shop.page.getByRole("heading", { level: 1 })).toBeVisible();
}

test("the catalog, the cart empty and full, and a page that does not exist", async ({ shop }) => {
  await openPage(shop, "/");
  await expectAccessible(shop, "catalog");
  await openPage(shop, "/cart");
  await expectAccessible(shop, "empty cart");
  await openPage(shop, "/checkout");
  await expectAccessible(shop, "checkout of an empty cart");
  await shop.open("/");
  await shop.addToCart("Stoneware Mug", "2");
  await expect(shop.cartCount).toHaveText("2");
  await openPage(shop, "/cart");
  await expectAccessible(shop, "cart with a line");
  await shop.page.goto("/no-such-page");
  await expect(shop.page.getByRole("heading", { level: 1 })).toBeVisible();
  await expectAccessible(shop, "not found");
});

test("the checkout as the server renders it, before the Payment Element mounts", async ({ shop }) => {
  await shop.open("/");
  await shop.addToCart("Stoneware Mug");
  await expect(shop.cartCount).toHaveText("1");
  const page = shop.page;
  // Hold the wasm back so the page stays exactly as the server rendered it.
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/pkg/*.wasm", async (route) => {
    await held;
    await route.continue();
  });
  await page.goto("/checkout", { waitUntil: "domcontentloaded" });
  await expect(page.getByRole("heading", { name: "Checkout", level: 1 })).toBeVisible();
  await expectAccessible(shop, "checkout before the Payment Element");
  release();
  if (shop.hydrated) await page.locator("html[data-hydrated]").waitFor();
});

test.describe("with JavaScript", () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "the Payment Element needs JavaScript");

  test("the checkout with the Payment Element, with field errors shown, and the 3-D Secure modal", async ({ shop }) => {
    const checkout = await checkoutWithMugs(shop);
    await expectAccessible(shop, "checkout with the Payment Element");
    // Pay with nothing filled in: every field says what it needs.
    await checkout.pay();
    await expect(checkout.page.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
    await expectAccessible(shop, "checkout with field errors");
    await checkout.fillDetails();
    await checkout.fillCard("4000 0027 6000 3184");
    await checkout.pay();
    await expect(checkout.challenge().locator("#test-source-authorize-3ds")).toBeVisible();
    await expectAccessible(shop, "the 3-D Secure modal");
    await checkout.challenge().locator("#test-source-authorize-3ds").click();
    await checkout.returned();
    await expect(checkout.page.getByTestId("order-status")).toBeVisible();
  });
});

test("the confirmation page in each status, and for an address that names no order", async ({ shop, request }) => {
  const page = shop.page;
  const statuses: [string, string][] = [
    ["processing", "Your payment is processing."],
    ["payment_failed", "The payment did not go through."],
    ["succeeded", "Paid: your order is confirmed."],
  ];
  for (const [force, shown] of statuses) {
    await page.context().clearCookies();
    const session = await submittedOrder(shop);
    await control(request, `payment_intents/${session.payment_intent}/force`, { status: force });
    await expect(async () => {
      await shop.open(returnURL(session));
      await expect(page.getByTestId("order-status")).toHaveText(shown, { timeout: 1_000 });
    }).toPass();
    await expectAccessible(shop, `confirmation, ${force}`);
  }
  await page.context().clearCookies();
  const awaiting = await submittedOrder(shop);
  await shop.open(returnURL(awaiting));
  await expect(page.getByTestId("order-status")).toBeVisible();
  await expectAccessible(shop, "confirmation, awaiting payment");
  await shop.open("/order-confirmation");
  await expect(page.getByTestId("confirmation-problem")).toBeVisible();
  await expectAccessible(shop, "confirmation without an order");
  await shop.open("/order-confirmation?order=R0000000000000000");
  await expect(page.getByTestId("confirmation-problem")).toBeVisible();
  await expectAccessible(shop, "confirmation of an unknown order");
});

test.describe("a shopper with only a keyboard", () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "paying needs JavaScript");

  test("tabs from the top of the checkout through every field and the Payment Element to Pay, and pays", async ({ shop }) => {
    const checkout: Checkout = await checkoutWithMugs(shop);
    const page = checkout.page;
    const keyboard = page.keyboard;
    // Start where a fresh page starts: nothing focused, at the top.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.evaluate(() => window.scrollTo(0, 0));

    /** What has the focus, as a name: the shop's control, or the Payment Element's. */
    const focused = async (): Promise<string> => {
      const outer = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return "";
        if (el.tagName === "IFRAME") return "iframe";
        return el.getAttribute("name") || el.id || el.textContent?.trim() || el.tagName;
      });
      if (outer !== "iframe") return outer;
      const inner = await checkout.element
        .locator(":root")
        .evaluate(() => (document.activeElement as HTMLElement | null)?.getAttribute("name") ?? "");
      return `element:${inner}`;
    };
    /** Presses Tab until `name` has the focus (never more than 40 times). */
    const tabTo = async (name: string) => {
      const seen: string[] = [];
      for (let i = 0; i < 40; i++) {
        await keyboard.press("Tab");
        const now = await focused();
        seen.push(now);
        if (now === name) return;
      }
      throw new Error(`Tab never reached ${name}; it went through: ${seen.join(", ")}`);
    };

    await tabTo("email");
    await keyboard.type("ada@example.com");
    await tabTo("name");
    await keyboard.type("Ada Lovelace");
    await tabTo("line1");
    await keyboard.type("1 Main Street");
    await tabTo("city");
    await keyboard.type("Springfield");
    await tabTo("region");
    await keyboard.type("IL");
    await tabTo("postal_code");
    await keyboard.type("62701");
    await tabTo("country");
    // A closed <select> changes with the arrow keys and typed letters.
    await keyboard.type("United States");
    await expect(page.getByLabel("Country")).toHaveValue("US");
    await tabTo("element:number");
    await keyboard.type("4242424242424242");
    await tabTo("element:expiry");
    await keyboard.type("1234");
    await tabTo("element:cvc");
    await keyboard.type("123");
    const postal = checkout.element.locator('input[name="postalCode"]');
    if (await postal.isVisible()) {
      await tabTo("element:postalCode");
      await keyboard.type("94103");
    }
    const pay = checkout.payButton();
    const payName = (await pay.textContent())!.trim();
    await tabTo(payName);
    await keyboard.press("Enter");
    await checkout.returned();
    await expect(page.getByTestId("order-status")).toHaveText(/Paid: your order is confirmed\.|Waiting for the payment to be confirmed\./);
    await expect(page.getByTestId("order-status")).toHaveText("Paid: your order is confirmed.");
  });

  test("a refused Pay puts the focus on the first field to fix, and Pay says it is busy while paying", async ({ shop }) => {
    const checkout = await checkoutWithMugs(shop);
    const page = checkout.page;
    await checkout.fillDetails();
    await page.getByLabel("Email").fill("not an email");
    await checkout.fillCard("4242 4242 4242 4242");
    await checkout.payButton().focus();
    await page.keyboard.press("Enter");
    await expect(page.getByLabel("Email")).toBeFocused();
    await expect(page.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
    await expect(checkout.payButton()).toHaveAttribute("aria-busy", "false");
    // While paying, the button says so to assistive technology.
    await page.getByLabel("Email").fill("ada@example.com");
    const busy = page.waitForFunction(() => document.querySelector(".pay-button")?.getAttribute("aria-busy") === "true");
    await page.getByLabel("Email").press("Enter");
    await busy;
    await checkout.returned();
    await expect(page.getByTestId("order-status")).toHaveAttribute("aria-live", "polite");
  });
});
