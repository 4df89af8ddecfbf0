import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { ada, Checkout, control, expect, LANGUAGES, type Shop, submittedOrder, test } from "./shop";

// The accessibility gate: axe-core with the WCAG 2.1 A and AA rules on the shopper's
// pages in the states listed below, hydrated and without JavaScript. A serious or
// critical violation fails the test with axe's own account of it; minor and moderate
// ones are printed, not failed on. Frames are checked too, so the Payment Element and
// the 3-D Secure modal (the emulator's, standing in for Stripe's) are held to the same
// rules as the shop's own pages, and a scan that could not reach them fails.
//
// Every test runs in each of the shop's languages (the browser asks for it), since a
// translation can break a label, a name or a contrast as surely as code can.
//
// These tests buy Canvas Totes (50 on the shelf), which only a few other tests buy, so
// they never take the stock other tests count on.

const WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const PRODUCT = "Canvas Tote";

// Colour transitions run only without reduced motion: a contrast check must never
// catch a button halfway through one.
test.use({ reducedMotion: "reduce" });

// A scan without JavaScript copies the page into a fresh browser context and runs axe
// there, a few seconds each; the tests that scan six pages took 24 to 31 s of the
// default 30 on a busy machine. This is room to work in, not a speed check.
test.describe.configure({ timeout: 90_000 });

/**
 * Scans the page. `frameDepth` is how deep in frames the scan must have reached (2 for
 * the Payment Element's iframe, 4 for the 3-D Secure page inside the modal): axe gives
 * up on a frame that answers slowly without saying so, so a scan that did not get
 * there is tried again, and fails if it never does.
 */
async function expectAccessible(shop: Shop, what: string, frameDepth = 1) {
  const scanned = shop.hydrated ? null : await withoutScripts(shop.page);
  try {
    const page = scanned ?? shop.page;
    let results = await new AxeBuilder({ page }).withTags(WCAG_21_AA).analyze();
    const depth = () =>
      Math.max(
        0,
        ...[...results.passes, ...results.violations, ...results.incomplete].flatMap((rule) =>
          rule.nodes.map((node) => node.target.length),
        ),
      );
    for (let attempt = 1; depth() < frameDepth && attempt < 3; attempt++) {
      results = await new AxeBuilder({ page }).withTags(WCAG_21_AA).analyze();
    }
    expect(depth(), `${what}: the scan reached frames ${frameDepth} deep`).toBeGreaterThanOrEqual(frameDepth);
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
  } finally {
    await scanned?.context().close();
  }
}

/**
 * axe runs as a script, which a page with JavaScript turned off cannot run. So the
 * document the no-JS browser holds is copied, as it is, into a context where scripts
 * may run but the page has none: every `<script>` taken out and every `<noscript>`
 * unwrapped, which is how a browser without JavaScript renders it. Its styles and
 * images load from the shop with the same cookies.
 */
async function withoutScripts(page: Page): Promise<Page> {
  const html = (await page.content())
    .replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, "")
    .replace(/<\/?noscript>/gi, "");
  const heading = await page.getByRole("heading", { level: 1 }).textContent();
  const context = await page
    .context()
    .browser()!
    .newContext({ javaScriptEnabled: true, storageState: await page.context().storageState() });
  const copy = await context.newPage();
  await copy.route("**/*", async (route) => {
    const request = route.request();
    if (request.resourceType() === "script") return route.abort();
    if (request.resourceType() === "document") {
      return route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html });
    }
    return route.continue();
  });
  await copy.goto(page.url());
  await expect(copy.getByRole("heading", { level: 1 })).toHaveText(heading!);
  return copy;
}

/** The confirmation page after the shopper's return from Stripe. */
function returnURL(session: any): string {
  return `/order-confirmation?payment_intent=${session.payment_intent}&payment_intent_client_secret=${session.client_secret}&redirect_status=succeeded`;
}

async function openPage(shop: Shop, path: string) {
  await shop.open(path);
  await expect(shop.page.getByRole("heading", { level: 1 })).toBeVisible();
}

/** A fresh shopper with a tote in the cart, on a ready checkout. */
async function checkoutWithTote(shop: Shop): Promise<Checkout> {
  await shop.open("/");
  await shop.addToCart(PRODUCT);
  await expect(shop.cartCount).toHaveText("1");
  const checkout = new Checkout(shop);
  await checkout.open();
  return checkout;
}

for (const lang of LANGUAGES) {
test.describe(lang, () => {
  test.use({ locale: lang === "en" ? "en-US" : lang });

  test("the catalog, the cart empty and full, and a page that does not exist", async ({ shop }) => {
    await openPage(shop, "/");
    await expectAccessible(shop, "catalog");
    await openPage(shop, "/cart");
    await expectAccessible(shop, "empty cart");
    await openPage(shop, "/checkout");
    await expectAccessible(shop, "checkout of an empty cart");
    await shop.open("/");
    await shop.addToCart(PRODUCT, "2");
    await expect(shop.cartCount).toHaveText("2");
    await openPage(shop, "/cart");
    await expectAccessible(shop, "cart with a line");
    await openPage(shop, "/no-such-page");
    await expectAccessible(shop, "not found");
  });

  test("the checkout as the server renders it, before the Payment Element mounts", async ({ shop }) => {
    await shop.open("/");
    await shop.addToCart(PRODUCT);
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
    await expect(page.getByRole("heading", { name: shop.t("checkout.title"), level: 1 })).toBeVisible();
    await expect(page.locator("#payment-element")).toBeEmpty();
    await expect(page.locator("html[data-hydrated]")).toHaveCount(0);
    await expectAccessible(shop, "checkout before the Payment Element");
    release();
    if (shop.hydrated) await page.locator("html[data-hydrated]").waitFor();
  });

  test.describe("with JavaScript", () => {
    test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "the Payment Element needs JavaScript");

    test("the checkout with the Payment Element, with field errors shown, and the 3-D Secure modal", async ({ shop }) => {
      const checkout = await checkoutWithTote(shop);
      await expectAccessible(shop, "checkout with the Payment Element", 2);
      // Pay with nothing filled in: every field says what it needs.
      await checkout.pay();
      await expect(checkout.page.getByLabel(shop.t("checkout.email"))).toHaveAttribute("aria-invalid", "true");
      await expectAccessible(shop, "checkout with field errors", 2);
      await checkout.fillDetails();
      await checkout.fillCard("4000 0027 6000 3184");
      await checkout.pay();
      await expect(checkout.challenge().locator("#test-source-authorize-3ds")).toBeVisible();
      await expectAccessible(shop, "the 3-D Secure modal", 4);
      await checkout.challenge().locator("#test-source-authorize-3ds").click();
      await checkout.returned();
      await expect(checkout.page.getByTestId("order-status")).toBeVisible();
    });

    test("a refused Pay puts the focus on the first field to fix; Pay says it is busy while paying", async ({ shop }) => {
      const checkout = await checkoutWithTote(shop);
      const page = checkout.page;
      await checkout.fillDetails();
      // The first field in error is the town, not the first field of the form.
      await page.getByLabel(shop.t("checkout.city")).fill("");
      await checkout.fillCard("4242 4242 4242 4242");
      await checkout.pay();
      await expect(page.getByLabel(shop.t("checkout.city"))).toBeFocused();
      await expect(page.getByLabel(shop.t("checkout.city"))).toHaveAttribute("aria-invalid", "true");
      await expect(page.getByLabel(shop.t("checkout.email"))).toHaveAttribute("aria-invalid", "false");
      await expect(checkout.payButton()).toHaveAttribute("aria-busy", "false");
      // Hold the submit on its way to the shop: meanwhile Pay is busy, and says so.
      let release = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      await page.route("**/api/checkout/submit", async (route) => {
        await held;
        await route.continue();
      });
      await page.getByLabel(shop.t("checkout.city")).fill(ada.city);
      await checkout.pay();
      await expect(checkout.payButton()).toHaveAttribute("aria-busy", "true");
      release();
      await checkout.returned();
      await expect(page.getByTestId("order-status")).toHaveAttribute("aria-live", "polite");
    });
  });

  test("the confirmation page in each status, and for an address that names no order", async ({ shop, request }) => {
    const page = shop.page;
    const statuses: [string, string][] = [
      ["processing", shop.t("order.status.processing")],
      ["payment_failed", shop.t("order.status.failed")],
      ["succeeded", shop.t("order.status.paid")],
    ];
    const opened = async (session: any) => {
      await shop.open(returnURL(session));
      // Stripe.js's word arrives after hydration: scan the page with it.
      if (shop.hydrated) await expect(page.getByTestId("payment-status")).toBeVisible();
    };
    for (const [force, shown] of statuses) {
      await page.context().clearCookies();
      const session = await submittedOrder(shop, PRODUCT);
      await control(request, `payment_intents/${session.payment_intent}/force`, { status: force });
      await expect(async () => {
        await opened(session);
        await expect(page.getByTestId("order-status")).toHaveText(shown, { timeout: 1_000 });
      }).toPass();
      await expectAccessible(shop, `confirmation, ${force}`);
    }
    await page.context().clearCookies();
    const awaiting = await submittedOrder(shop, PRODUCT);
    await opened(awaiting);
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
      const checkout = await checkoutWithTote(shop);
      const page = checkout.page;
      const keyboard = page.keyboard;
      // A freshly loaded page: nothing has the focus, so the first Tab starts at the top.
      expect(await page.evaluate(() => document.activeElement === document.body)).toBe(true);

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
      /** The focus once it has stopped moving (into a cross-origin frame it moves late). */
      const settled = async (): Promise<string> => {
        let last = await focused();
        for (;;) {
          await page.waitForTimeout(50);
          const now = await focused();
          if (now === last && now !== "element:" && now !== "iframe") return now;
          last = now;
        }
      };
      const path: string[] = [];
      /** Presses Tab until `name` has the focus, in document order: coming round to the
       * top of the page again means the order is wrong. */
      const tabTo = async (name: string) => {
        for (let i = 0; i < 25; i++) {
          await keyboard.press("Tab");
          const now = await settled();
          path.push(now);
          if (now === name) return;
          if (now === shop.t("site.skip") && path.length > 1) break;
        }
        throw new Error(`Tab never reached ${name} in order; the focus went: ${path.join(" → ")}`);
      };

      await tabTo("email");
      await keyboard.type(ada.email);
      await tabTo("name");
      await keyboard.type(ada.name);
      await tabTo("line1");
      await keyboard.type(ada.line1);
      await tabTo("city");
      await keyboard.type(ada.city);
      await tabTo("region");
      await keyboard.type(ada.region);
      await tabTo("postal_code");
      await keyboard.type(ada.postalCode);
      await tabTo("country");
      // A closed <select> moves with the arrow keys: away from the default and back.
      await keyboard.press("ArrowDown");
      await expect(page.getByLabel(shop.t("checkout.country"))).toHaveValue("CA");
      await keyboard.press("ArrowUp");
      await expect(page.getByLabel(shop.t("checkout.country"))).toHaveValue("US");
      await tabTo("element:number");
      await keyboard.type("4242424242424242");
      await tabTo("element:expiry");
      await keyboard.type("1234");
      await tabTo("element:cvc");
      await keyboard.type("123");
      if (await checkout.element.locator('input[name="postalCode"]').isVisible()) {
        await tabTo("element:postalCode");
        await keyboard.type("94103");
      }
      await tabTo((await checkout.payButton().textContent())!.trim());
      await keyboard.press("Enter");
      await checkout.returned();
      await expect(page.getByTestId("order-status")).toHaveText(shop.t("order.status.paid"));
    });
  });
});
}
