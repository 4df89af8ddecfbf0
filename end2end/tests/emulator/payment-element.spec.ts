import { expect, test } from "@playwright/test";
import { CheckoutPage, emulatorSecretKey, emulatorURL, requestsTo } from "./checkout-page";

// The emulator's Stripe.js, Payment Element and 3-D Secure, used by a page written from
// Stripe's own guide (contract b.11 to b.13).

// One emulator serves every test, and the hosted 3-D Secure test switches its
// next-action mode: run these one after another.
test.describe.configure({ mode: "serial" });

test("mounts the element in an iframe with Stripe's fields and fires ready", async ({ page }) => {
  const checkout = new CheckoutPage(page);
  await checkout.open();
  const frame = page.locator('iframe[title="Secure payment input frame"]');
  await expect(frame).toHaveAttribute("name", /^__privateStripeFrame/);
  await expect(frame).toHaveAttribute("src", new RegExp(`^${emulatorURL}/.*elements-inner-payment`));
  await expect(checkout.element.locator("#payment-numberInput")).toHaveAttribute("placeholder", "1234 1234 1234 1234");
  await expect(checkout.element.locator("#payment-expiryInput")).toHaveAttribute("placeholder", "MM / YY");
  await expect(checkout.element.locator("#payment-cvcInput")).toHaveAttribute("placeholder", "CVC");
  await expect(checkout.element.locator('select[name="country"]')).toHaveValue("US");
  await expect(checkout.element.getByLabel("Country")).toBeVisible();
  expect(await checkout.events("loaderstart")).toBe(1);
  expect(await page.evaluate(() => (window as any).Stripe.version)).toBe("dahlia");
});

test("change is complete only when every field is valid, and shows the brand as typed", async ({ page }) => {
  const checkout = new CheckoutPage(page);
  await checkout.open();
  await checkout.element.locator('input[name="number"]').fill("4242424242424242");
  await expect(checkout.element.locator("#payment-brand")).toHaveText("Visa");
  expect((await checkout.lastChange()).complete).toBe(false);
  await checkout.element.locator('input[name="expiry"]').fill("1234");
  await checkout.element.locator('input[name="cvc"]').fill("123");
  expect((await checkout.lastChange()).complete).toBe(false);
  await checkout.element.locator('input[name="postalCode"]').fill("94103");
  await expect.poll(async () => (await checkout.lastChange()).complete).toBe(true);
  await checkout.element.locator('input[name="number"]').fill("378282246310005");
  await expect(checkout.element.locator("#payment-brand")).toHaveText("Amex");
  await expect.poll(async () => (await checkout.lastChange()).complete).toBe(false); // Amex needs 4 CVC digits
});

for (const [card, field, message] of [
  [{ number: "4242 4242 4242" }, "number", "Your card number is incomplete."],
  [{ number: "4242424242424241" }, "number", "Your card number is invalid."],
  [{ number: "4242424242424242", expiry: "12 / 1" }, "expiry", "Your card’s expiration date is incomplete."],
  [{ number: "4242424242424242", expiry: "12 / 20" }, "expiry", "Your card’s expiration year is in the past."],
  [{ number: "4242424242424242", cvc: "12" }, "cvc", "Your card’s security code is incomplete."],
  [{ number: "4242424242424242", postalCode: "941" }, "postalCode", "Your ZIP is incomplete."],
] as const) {
  test(`validation: ${message}`, async ({ page, request }) => {
    const checkout = new CheckoutPage(page);
    await checkout.open();
    await checkout.payWith(card);
    await expect(checkout.error()).toHaveText(message);
    await expect(checkout.element.locator(`#payment-${field}Error`)).toHaveText(message);
    const id = await page.evaluate(() => (window as any).testPage.paymentIntent.id);
    expect(await requestsTo(request, `/v1/payment_intents/${id}/confirm`)).toBe(0);
    expect((await checkout.result()).error.type).toBe("validation_error");
  });
}

test("4242 pays and lands on the return URL with Stripe's three parameters", async ({ page }) => {
  const checkout = new CheckoutPage(page);
  await checkout.open();
  const id = await page.evaluate(() => (window as any).testPage.paymentIntent.id);
  await checkout.payWith({ number: "4242 4242 4242 4242" });
  await page.waitForURL(/landed=1/);
  const url = new URL(page.url());
  expect(url.searchParams.get("flow")).toBe("intent"); // the return URL's own query is kept
  expect(url.searchParams.get("payment_intent")).toBe(id);
  expect(url.searchParams.get("payment_intent_client_secret")).toMatch(new RegExp(`^${id}_secret_`));
  expect(url.searchParams.get("redirect_status")).toBe("succeeded");
  await expect(page.getByText("Landed: succeeded (redirect_status succeeded).")).toBeVisible();
  const retrieved = await page.evaluate(() => (window as any).testPage.retrieved);
  expect(retrieved.status).toBe("succeeded");
  for (const hidden of ["metadata", "latest_charge", "amount_received", "customer"]) expect(retrieved).not.toHaveProperty(hidden);
});

test("a declined card resolves the error and stays on the page", async ({ page }) => {
  const checkout = new CheckoutPage(page);
  await checkout.open();
  await checkout.payWith({ number: "4000 0000 0000 9995" });
  await expect(checkout.error()).toHaveText("Your card has insufficient funds.");
  const result = await checkout.result();
  expect(result.error.type).toBe("card_error");
  expect(result.error.decline_code).toBe("insufficient_funds");
  expect(page.url()).toContain("/_emulator/test-page");
  // The shopper can fix the card and pay again.
  await checkout.payWith({ number: "4242 4242 4242 4242" });
  await page.waitForURL(/redirect_status=succeeded/);
});

test("3-D Secure in the modal: Complete pays", async ({ page }) => {
  const checkout = new CheckoutPage(page);
  await checkout.open();
  await checkout.payWith({ number: "4000 0027 6000 3184" });
  const challenge = checkout.challenge();
  await expect(challenge.getByText("3D Secure 2 Test Page")).toBeVisible();
  await challenge.locator("#test-source-authorize-3ds").click();
  await page.waitForURL(/redirect_status=succeeded/);
});

test("3-D Secure in the modal: Fail shows Stripe's message and stays", async ({ page }) => {
  const checkout = new CheckoutPage(page);
  await checkout.open();
  await checkout.payWith({ number: "4000 0027 6000 3184" });
  await checkout.challenge().locator("#test-source-fail-3ds").click();
  await expect(checkout.error()).toHaveText("We are unable to authenticate your payment method. Please choose a different payment method and try again.");
  const result = await checkout.result();
  expect(result.error.code).toBe("payment_intent_authentication_failure");
  expect(result.error.payment_intent.status).toBe("requires_payment_method");
  await expect(page.locator('[data-stripe-emulator="three-ds-modal"]')).toHaveCount(0);
});

test("3-D Secure completed, then declined for insufficient funds", async ({ page }) => {
  const checkout = new CheckoutPage(page);
  await checkout.open();
  await checkout.payWith({ number: "4000 0082 6000 3178" });
  await checkout.challenge().locator("#test-source-authorize-3ds").click();
  await expect(checkout.error()).toHaveText("Your card has insufficient funds.");
});

test("closing the modal counts as a failed authentication", async ({ page }) => {
  const checkout = new CheckoutPage(page);
  await checkout.open();
  await checkout.payWith({ number: "4000 0027 6000 3184" });
  await expect(checkout.challenge().locator("#test-source-fail-3ds")).toBeVisible();
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(checkout.error()).toHaveText(/unable to authenticate/);
});

test("the hosted 3-D Secure page: Fail lands with redirect_status=failed", async ({ page, request }) => {
  await request.post(`${emulatorURL}/_emulator/next_action`, { data: { mode: "redirect_to_url" } });
  try {
    const checkout = new CheckoutPage(page);
    await checkout.open();
    await checkout.payWith({ number: "4000 0027 6000 3184" });
    await page.waitForURL(/\/_emulator\/3ds\/hosted/);
    await expect(page.getByText("3D Secure 2 Test Page")).toBeVisible();
    await page.locator("#test-source-fail-3ds").click();
    await page.waitForURL(/redirect_status=failed/);
    await expect(page.getByText(/Landed: requires_payment_method/)).toBeVisible();
  } finally {
    await request.post(`${emulatorURL}/_emulator/next_action`, { data: { mode: "use_stripe_sdk" } });
  }
});

test("redirect if_required resolves the PaymentIntent and stays", async ({ page }) => {
  const checkout = new CheckoutPage(page);
  await checkout.open("redirect=if_required");
  await checkout.payWith({ number: "4242 4242 4242 4242" });
  await expect(page.getByText("Payment succeeded.")).toBeVisible();
  expect(page.url()).not.toContain("redirect_status");
  expect((await checkout.result()).paymentIntent.status).toBe("succeeded");
});

test("after a server-side amount change, fetchUpdates then confirm charges the new amount", async ({ page, request }) => {
  const checkout = new CheckoutPage(page);
  await checkout.open("redirect=if_required");
  const id = await page.evaluate(() => (window as any).testPage.paymentIntent.id);
  const updated = await page.evaluate(
    async (pi) => (await fetch(`/_emulator/test-page/payment_intents/${pi}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ amount: 2600 }) })).json(),
    id,
  );
  expect(updated.amount).toBe(2600);
  const reads = await requestsTo(request, `/v1/payment_intents/${id}`);
  expect(await page.evaluate(() => (window as any).testPage.elements.fetchUpdates())).toEqual({});
  expect(await requestsTo(request, `/v1/payment_intents/${id}`)).toBe(reads + 1); // fetchUpdates read it again
  await checkout.payWith({ number: "4242 4242 4242 4242" });
  await expect(page.getByText("Payment succeeded.")).toBeVisible();
  expect((await checkout.result()).paymentIntent.amount).toBe(2600);
});

test("a billing field set to never and left out of confirmParams throws before any request", async ({ page, request }) => {
  const checkout = new CheckoutPage(page);
  await checkout.open("never=1&omit=line2");
  await expect(checkout.element.locator('input[name="postalCode"]')).toBeHidden();
  await expect(checkout.element.locator('select[name="country"]')).toBeHidden();
  await checkout.payWith({ number: "4242 4242 4242 4242" });
  await expect.poll(async () => (await page.evaluate(() => (window as any).testPage.thrown))?.name).toBe("IntegrationError");
  const thrown = await page.evaluate(() => (window as any).testPage.thrown);
  expect(thrown.message).toContain('You specified "never" for fields.billing_details.address.line2');
  const id = await page.evaluate(() => (window as any).testPage.paymentIntent.id);
  expect(await requestsTo(request, `/v1/payment_intents/${id}/confirm`)).toBe(0);
});

test("deferred: submit, create the PaymentIntent, then confirm", async ({ page }) => {
  const checkout = new CheckoutPage(page);
  await checkout.open("flow=deferred&redirect=if_required");
  await checkout.payWith({ number: "4242 4242 4242" });
  await expect(checkout.error()).toHaveText("Your card number is incomplete.");
  await checkout.payWith({ number: "4242 4242 4242 4242" });
  await expect(page.getByText("Payment succeeded.")).toBeVisible();
});

test("the Stripe object has the shape @stripe/react-stripe-js checks, and the card-Element methods answer with an error", async ({ page }) => {
  const checkout = new CheckoutPage(page);
  await checkout.open();
  const answers = await page.evaluate(async () => {
    const stripe = (window as any).testPage.stripe;
    // What <Elements stripe={..}> accepts as a Stripe object (react-stripe-js's isStripe).
    const accepted = ["elements", "createToken", "createPaymentMethod", "confirmCardPayment"].every(
      (name) => typeof stripe[name] === "function",
    );
    const card = await stripe.createPaymentMethod({ type: "card" });
    return { accepted, type: card.error?.type, message: card.error?.message };
  });
  expect(answers.accepted).toBe(true);
  expect(answers.type).toBe("invalid_request_error");
  expect(answers.message).toContain("stripe.createPaymentMethod()");
});

test("integration errors throw as Stripe.js's do", async ({ page }) => {
  const checkout = new CheckoutPage(page);
  await checkout.open("redirect=if_required");
  const thrown = await page.evaluate(() => {
    const stripe = (window as any).testPage.stripe;
    const attempts: Record<string, () => unknown> = {
      both: () => stripe.elements({ clientSecret: "pi_1_secret_2", mode: "payment" }),
      secondCreate: () => (window as any).testPage.elements.create("payment"),
      noReturnUrl: () => stripe.confirmPayment({ elements: (window as any).testPage.elements, confirmParams: {} }),
      badSecret: () => stripe.retrievePaymentIntent("nope"),
      missingNode: () => stripe.elements({ mode: "payment", amount: 100, currency: "usd" }).create("payment").mount("#nowhere"),
      notAKey: () => (window as any).Stripe(42),
    };
    return Object.fromEntries(Object.entries(attempts).map(([name, attempt]) => {
      try {
        attempt();
        return [name, null];
      } catch (error: any) {
        return [name, error.name + ": " + error.message];
      }
    }));
  });
  for (const [name, error] of Object.entries(thrown)) expect(error, name).toMatch(/^IntegrationError: /);
  expect(thrown.badSecret).toContain("clientSecret should be a client secret of the form ${id}_secret_${secret}");
  expect(thrown.secondCreate).toContain("Can only create one Element of type payment.");
});

test("the page never sees the card number", async ({ page }) => {
  const seen: string[] = [];
  page.on("request", (r) => {
    if (r.frame() === page.mainFrame()) seen.push(r.url() + " " + (r.postData() ?? ""));
  });
  await page.addInitScript(() => {
    (window as any).__messages = [];
    window.addEventListener("message", (e) => (window as any).__messages.push(JSON.stringify(e.data)), true);
  });
  const checkout = new CheckoutPage(page);
  await checkout.open("redirect=if_required");
  await checkout.payWith({ number: "4242 4242 4242 4242" });
  await expect(page.getByText("Payment succeeded.")).toBeVisible();
  const messages: string[] = await page.evaluate(() => (window as any).__messages);
  expect(messages.length).toBeGreaterThan(0);
  for (const text of [...messages, ...seen]) expect(text.replace(/\s/g, "")).not.toContain("4242424242424242");
});

test("screenshots: both themes and the 3-D Secure modal, and keyboard-only use", async ({ page }, info) => {
  const checkout = new CheckoutPage(page);
  await checkout.open();
  await page.screenshot({ path: info.outputPath("element-stripe.png") });
  // Keyboard only: focus the element, type, tab through every field.
  await page.evaluate(() => (window as any).testPage.paymentElement.focus());
  await page.keyboard.type("4242424242424242");
  await page.keyboard.press("Tab");
  await page.keyboard.type("1234");
  await page.keyboard.press("Tab");
  await page.keyboard.type("123");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await page.keyboard.type("94103");
  await expect.poll(async () => (await checkout.lastChange()).complete).toBe(true);

  const night = new CheckoutPage(page);
  await night.open("theme=night&color=%23ff5996");
  await page.screenshot({ path: info.outputPath("element-night.png") });
  await night.payWith({ number: "4000 0027 6000 3184" });
  await expect(night.challenge().locator("#test-source-authorize-3ds")).toBeVisible();
  await page.screenshot({ path: info.outputPath("three-ds-modal.png") });
});

test("handleNextAction runs 3-D Secure for a PaymentIntent confirmed on the server", async ({ page }) => {
  const checkout = new CheckoutPage(page);
  await checkout.open("redirect=if_required");
  const secret = await page.evaluate(async () => {
    const response = await fetch("/_emulator/test-page/payment_intents", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ amount: 2000, confirm_with: "pm_card_authenticationRequired" }),
    });
    const intent = await response.json();
    (window as any).testPage.nextAction = (window as any).testPage.stripe.handleNextAction({ clientSecret: intent.client_secret });
    return intent.client_secret;
  });
  expect(secret).toMatch(/^pi_/);
  await checkout.challenge().locator("#test-source-authorize-3ds").click();
  const result = await page.evaluate(() => (window as any).testPage.nextAction);
  expect(result.paymentIntent.status).toBe("succeeded");
});

test("a client secret the API refuses gives loaderror", async ({ page }) => {
  const checkout = new CheckoutPage(page);
  await checkout.open();
  const error = await page.evaluate(() => new Promise((resolve) => {
    const node = document.createElement("div");
    document.body.appendChild(node);
    const elements = (window as any).testPage.stripe.elements({ clientSecret: "pi_doesnotexist00000000000_secret_abc" });
    const element = elements.create("payment");
    element.on("loaderror", (event: any) => resolve(event.error));
    element.mount(node);
  }));
  expect((error as any).code).toBe("resource_missing");
});

test("the control API's auto setting answers 3-D Secure without a click", async ({ page, request }) => {
  await request.post(`${emulatorURL}/_emulator/next_action`, { data: { mode: "use_stripe_sdk", auto: "complete" } });
  try {
    const checkout = new CheckoutPage(page);
    await checkout.open("redirect=if_required");
    await checkout.payWith({ number: "4000 0027 6000 3184" });
    await expect(page.getByText("Payment succeeded.")).toBeVisible();
  } finally {
    await request.post(`${emulatorURL}/_emulator/next_action`, { data: { mode: "use_stripe_sdk" } });
  }
});

test("more validation and element rules", async ({ page }) => {
  const checkout = new CheckoutPage(page);
  await checkout.open();
  const lastYear = String((new Date().getFullYear() - 1) % 100).padStart(2, "0");
  const thisYear = String(new Date().getFullYear() % 100).padStart(2, "0");
  if (new Date().getMonth() > 0) {
    await checkout.payWith({ number: "4242 4242 4242 4242", expiry: `01 / ${thisYear}` });
    await expect(checkout.error()).toHaveText("Your card’s expiration date is in the past.");
  }
  await checkout.payWith({ number: "4242 4242 4242 4242", expiry: `12 / ${lastYear}` });
  await expect(checkout.error()).toHaveText("Your card’s expiration year is in the past.");
  await checkout.payWith({ number: "4242 4242 4242 4242", postalCode: "94103-12" });
  await expect(checkout.error()).toHaveText("Your ZIP is invalid.");
  await checkout.element.locator('select[name="country"]').selectOption("GB");
  await checkout.element.locator('input[name="postalCode"]').fill("");
  await checkout.pay();
  await expect(checkout.error()).toHaveText("Your postal code is incomplete.");

  const rules = await page.evaluate(async () => {
    const stripe = (window as any).testPage.stripe;
    const out: Record<string, string> = {};
    const attempt = async (name: string, f: () => unknown) => {
      try {
        await f();
        out[name] = "ok";
      } catch (error: any) {
        out[name] = error.name;
      }
    };
    const a = document.createElement("div");
    const b = document.createElement("div");
    document.body.append(a, b);
    const deferred = stripe.elements({ mode: "payment", amount: 1000, currency: "usd" });
    const element = deferred.create("payment");
    element.mount(a);
    await attempt("mountElsewhere", () => element.mount(b));
    let updated = false;
    element.on("update-end", () => (updated = true));
    await deferred.update({ amount: 1500 });
    out.updateEnd = String(updated);
    await attempt("confirmBeforeSubmit", () =>
      stripe.confirmPayment({ elements: deferred, clientSecret: "pi_abc_secret_def", confirmParams: { return_url: location.href } }),
    );
    element.destroy();
    await attempt("mountAfterDestroy", () => element.mount(a));
    return out;
  });
  expect(rules).toEqual({ mountElsewhere: "IntegrationError", updateEnd: "true", confirmBeforeSubmit: "IntegrationError", mountAfterDestroy: "IntegrationError" });
});

test("the element keeps its mount height until its frame is laid out (it never tells a height of 0), then takes its own", async ({ page }) => {
  // A frame with no layout (hidden, or an off-screen frame the browser has not rendered
  // yet) measures 0; the element must not shrink to that and jump back later, moving
  // everything below it (a Pay button) under the shopper's pointer.
  const checkout = new CheckoutPage(page);
  await checkout.open();
  const heights = await page.evaluate(async () => {
    const stripe = (window as any).testPage.stripe;
    const box = document.createElement("div");
    box.style.display = "none";
    document.body.append(box);
    const element = stripe.elements({ mode: "payment", amount: 1000, currency: "usd" }).create("payment");
    const seen: string[] = [];
    element.mount(box);
    const frame = box.querySelector("iframe") as HTMLIFrameElement;
    new MutationObserver(() => seen.push(frame.style.height)).observe(frame, { attributes: true, attributeFilter: ["style"] });
    await new Promise<void>((resolve) => element.on("ready", () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const hidden = frame.style.height;
    box.style.display = "block";
    for (let i = 0; i < 50 && frame.style.height === hidden; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    return { hidden, shown: frame.getBoundingClientRect().height, seen };
  });
  expect(parseFloat(heights.hidden), `while hidden: ${heights.seen}`).toBeGreaterThan(100);
  expect(heights.shown).toBeGreaterThan(100);
  for (const height of heights.seen) expect(parseFloat(height), `heights told: ${heights.seen}`).toBeGreaterThan(100);
});

// Stripe's `locale`: Simplified Chinese (`zh`) and English, from the emulator's one
// phrase table (stripe-emulator/src/locale.rs), in Stripe's own wording where it
// publishes one.
test.describe("in Simplified Chinese", () => {
  test("labels, placeholders and validation messages, and a decline told by the API", async ({ page }) => {
    const checkout = new CheckoutPage(page);
    await checkout.open("locale=zh");
    const element = checkout.element;
    await expect(element.locator("html")).toHaveAttribute("lang", "zh-CN");
    await expect(element.getByLabel("卡号")).toBeVisible();
    await expect(element.getByLabel("有效期")).toHaveAttribute("placeholder", "月份/年份");
    await expect(element.getByLabel("安全码")).toBeVisible();
    await element.locator('input[name="number"]').fill("4242");
    await element.locator('input[name="expiry"]').focus();
    await expect(element.locator("#payment-numberError")).toHaveText("您的银行卡号不完整。");
    await checkout.payWith({ number: "4000 0000 0000 0002" });
    await expect(checkout.error()).toHaveText("您的卡已被拒绝。");
    const result = await checkout.result();
    expect(result.error.code).toBe("card_declined");
    await checkout.payWith({ number: "4000 0000 0000 9995" });
    await expect(checkout.error()).toHaveText("您的银行卡余额不足。");
  });

  test("the 3-D Secure modal and its test page, and a failed authentication", async ({ page }) => {
    const checkout = new CheckoutPage(page);
    await checkout.open("locale=zh");
    await checkout.payWith({ number: "4000 0027 6000 3184" });
    await expect(page.getByRole("dialog", { name: "验证您的付款" })).toBeVisible();
    const challenge = checkout.challenge();
    await expect(challenge.getByRole("heading", { name: "3D Secure 2 测试页面" })).toBeVisible();
    await expect(challenge.locator("#test-source-authorize-3ds")).toHaveText("完成");
    await challenge.locator("#test-source-fail-3ds").click();
    await expect(checkout.error()).toHaveText("我们未能验证您的支付方式。请选择另一支付方式并重试。");
    // Authenticated, then declined: the PaymentIntent's stored error, told in Chinese.
    await checkout.payWith({ number: "4000 0082 6000 3178" });
    await checkout.challenge().locator("#test-source-authorize-3ds").click();
    await expect(checkout.error()).toHaveText("您的银行卡余额不足。");
  });

  test("`auto` follows a Chinese browser; `en` and Traditional Chinese stay English", async ({ browser }) => {
    const chinese = await browser.newContext({ locale: "zh-CN" });
    const auto = new CheckoutPage(await chinese.newPage());
    await auto.open();
    await expect(auto.element.getByLabel("卡号")).toBeVisible();
    await chinese.close();
    for (const locale of ["en", "zh-TW"]) {
      const context = await browser.newContext({ locale: "zh-CN" });
      const english = new CheckoutPage(await context.newPage());
      await english.open(`locale=${locale}`);
      await expect(english.element.getByLabel("Card number")).toBeVisible();
      await context.close();
    }
  });

  test("the API answers a browser's publishable key in its language, a server's secret key in English", async ({ page, request }) => {
    const checkout = new CheckoutPage(page);
    await checkout.open();
    const publishableKey: string = await page.evaluate(() => (window as any).testPage.stripe._key);
    const declined = async (key: string) => {
      const created = await request.post(`${emulatorURL}/v1/payment_intents`, {
        headers: { Authorization: `Bearer ${emulatorSecretKey}` },
        form: { amount: "1000", currency: "usd", "automatic_payment_methods[enabled]": "true" },
      });
      const intent = await created.json();
      const browser = key.startsWith("pk_");
      const confirmed = await request.post(`${emulatorURL}/v1/payment_intents/${intent.id}/confirm`, {
        headers: browser
          ? { "Accept-Language": "zh-CN,zh;q=0.9" }
          : { "Accept-Language": "zh-CN,zh;q=0.9", Authorization: `Bearer ${key}` },
        form: browser
          ? {
              key,
              client_secret: intent.client_secret,
              "payment_method_data[type]": "card",
              "payment_method_data[card][number]": "4000000000000002",
              "payment_method_data[card][exp_month]": "12",
              "payment_method_data[card][exp_year]": "2034",
              "payment_method_data[card][cvc]": "123",
            }
          : { payment_method: "pm_card_chargeDeclined" },
      });
      expect(confirmed.status(), await confirmed.text()).toBe(402);
      const error = (await confirmed.json()).error;
      // The PaymentIntent the error carries holds the same error (contract b.7).
      if (error.payment_intent?.last_payment_error) {
        expect(error.payment_intent.last_payment_error.message).toBe(error.message);
      }
      return error.message;
    };
    expect(await declined(publishableKey)).toBe("您的卡已被拒绝。");
    expect(await declined(emulatorSecretKey)).toBe("Your card was declined.");
  });
});
