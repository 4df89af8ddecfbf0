import { ada, Checkout, checkoutWithMugs, expect, paymentIntent, Shop, stripeRequests, test } from "./shop";

// The one-page checkout as a shopper uses it: the shop in its default embedded mode,
// Stripe.js and the Payment Element from its emulator on 127.0.0.2 (another site).

const insufficientFunds = "Your card has insufficient funds.";
const authenticationFailed =
  "We are unable to authenticate your payment method. Please choose a different payment method and try again.";

test.describe("hydrated", () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "payment needs JavaScript");

  test("the Payment Element speaks the page's language, not the browser's", async ({ browser, baseURL }) => {
    // A browser that prefers Chinese, whose shopper chose English: Stripe's default
    // `auto` would follow the browser.
    const context = await browser.newContext({ locale: "zh-CN" });
    await context.addCookies([{ name: "locale", value: "en", url: baseURL! }]);
    const checkout = await checkoutWithMugs(new Shop(await context.newPage(), true));
    await expect(checkout.page.locator("html")).toHaveAttribute("lang", "en");
    await expect(checkout.element.getByLabel("Card number")).toBeVisible();
    await expect(checkout.element.locator("html")).toHaveAttribute("lang", "en");
    await context.close();
  });

  test("pays with 4242 and arrives at the confirmation page with Stripe's parameters", async ({ shop }) => {
    const checkout = await checkoutWithMugs(shop, "2");
    await expect(checkout.total()).toHaveText("$41.00");
    await expect(checkout.payButton()).toHaveText("Pay $41.00");
    await expect(shop.page.getByRole("note")).toContainText("4242 4242 4242 4242");
    await checkout.fillDetails();
    await checkout.fillCard("4242 4242 4242 4242");
    await checkout.pay();
    const params = await checkout.returned();
    expect(params.get("payment_intent")).toMatch(/^pi_/);
    expect(params.get("payment_intent_client_secret")).toMatch(/^pi_.+_secret_/);
    expect(params.get("redirect_status")).toBe("succeeded");
  });

  test("a declined card shows Stripe's message, then another card pays", async ({ shop }) => {
    const checkout = await checkoutWithMugs(shop);
    await checkout.fillDetails();
    await checkout.fillCard("4000 0000 0000 9995");
    await checkout.pay();
    await expect(checkout.message()).toHaveText(insufficientFunds);
    await expect(checkout.payButton()).toBeEnabled();
    await checkout.fillCard("4242 4242 4242 4242");
    await checkout.pay();
    expect((await checkout.returned()).get("redirect_status")).toBe("succeeded");
  });

  test("an invalid number is refused in the element and nothing is confirmed", async ({ shop, request }) => {
    const checkout = await checkoutWithMugs(shop);
    const session = await checkout.session();
    await checkout.fillDetails();
    await checkout.fillCard("4242 4242 4242 4241");
    await checkout.pay();
    await expect(checkout.message()).toHaveText("Your card number is invalid.");
    await expect(checkout.element.locator("#payment-numberError")).toHaveText("Your card number is invalid.");
    expect(await stripeRequests(request, `/${session.payment_intent}/confirm`)).toBe(0);
  });

  test("our own fields are checked before anything is sent, with the reason next to each", async ({ shop, request }) => {
    const checkout = await checkoutWithMugs(shop);
    const session = await checkout.session();
    await checkout.fillDetails({ ...ada, email: "ada@" });
    await checkout.fillCard("4242 4242 4242 4242");
    await checkout.pay();
    await expect(shop.page.locator("#checkout-email-error")).toHaveText("Enter a valid email address, like name@example.com.");
    await expect(shop.page.getByLabel("Email")).toBeFocused();
    await expect(shop.page.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
    expect(await stripeRequests(request, `/${session.payment_intent}/confirm`)).toBe(0);
    await shop.page.getByLabel("Email").fill("ada@example.com");
    await checkout.pay();
    expect((await checkout.returned()).get("redirect_status")).toBe("succeeded");
  });

  test("3-D Secure: completing the challenge pays", async ({ shop }) => {
    const checkout = await checkoutWithMugs(shop);
    await checkout.fillDetails();
    await checkout.fillCard("4000 0027 6000 3184");
    await checkout.pay();
    await checkout.challenge().locator("#test-source-authorize-3ds").click();
    expect((await checkout.returned()).get("redirect_status")).toBe("succeeded");
  });

  test("3-D Secure: failing shows the message, then a retry pays", async ({ shop }) => {
    const checkout = await checkoutWithMugs(shop);
    await checkout.fillDetails();
    await checkout.fillCard("4000 0027 6000 3184");
    await checkout.pay();
    await checkout.challenge().locator("#test-source-fail-3ds").click();
    await expect(checkout.message()).toHaveText(authenticationFailed);
    await checkout.pay();
    await checkout.challenge().locator("#test-source-authorize-3ds").click();
    expect((await checkout.returned()).get("redirect_status")).toBe("succeeded");
  });

  test("a quantity changed after the element loaded is what gets charged", async ({ shop, request }) => {
    const checkout = await checkoutWithMugs(shop);
    await expect(checkout.total()).toHaveText("$23.00");
    await shop.page.getByRole("button", { name: "One more Stoneware Mug" }).click();
    await expect(checkout.total()).toHaveText("$41.00");
    await expect(checkout.payButton()).toHaveText("Pay $41.00");
    await expect(checkout.payButton()).toBeEnabled();
    await shop.page.getByLabel(/Express delivery/).check();
    await expect(checkout.total()).toHaveText("$51.00");
    await expect(checkout.payButton()).toBeEnabled();
    const session = await checkout.session();
    await checkout.fillDetails();
    await checkout.fillCard("4242 4242 4242 4242");
    await checkout.pay();
    const params = await checkout.returned();
    const intent = await paymentIntent(request, params, session.publishable_key);
    expect(intent.status).toBe("succeeded");
    expect(intent.amount).toBe(5100);
  });

  test("a cart change in another tab is caught at Pay, with the new total", async ({ shop, context }) => {
    const checkout = await checkoutWithMugs(shop);
    // The address first: changing it re-prices (and would pick up the other tab's change).
    await checkout.fillDetails();
    await shop.page.getByLabel("Email").focus();
    await expect(shop.page.getByTestId("checkout-tax")).toHaveText("None applies to this address");
    await expect(checkout.payButton()).toBeEnabled();
    const other = await context.newPage();
    await other.goto("/cart");
    await other.locator("html[data-hydrated]").waitFor();
    await other.getByRole("button", { name: "One more Stoneware Mug" }).click();
    await expect(other.getByTestId("subtotal")).toHaveText("$36.00");
    await checkout.fillCard("4242 4242 4242 4242");
    await checkout.pay();
    await expect(checkout.message()).toContainText("The total is now $41.00");
    await expect(checkout.total()).toHaveText("$41.00");
    await expect(checkout.payButton()).toHaveText("Pay $41.00");
    expect(shop.page.url()).toMatch(/\/checkout$/);
    await checkout.pay();
    expect((await checkout.returned()).get("redirect_status")).toBe("succeeded");
  });

  test("a double click on Pay confirms once", async ({ shop, request }) => {
    const checkout = await checkoutWithMugs(shop);
    await checkout.fillDetails();
    await checkout.fillCard("4242 4242 4242 4242");
    await checkout.pay({ double: true });
    const params = await checkout.returned();
    expect(await stripeRequests(request, `/${params.get("payment_intent")}/confirm`)).toBe(1);
  });

  test("leaving for the cart and coming back still pays once", async ({ shop, request }) => {
    const checkout = await checkoutWithMugs(shop);
    await shop.page.getByRole("link", { name: /Cart/ }).click();
    await expect(shop.page).toHaveURL(/\/cart$/);
    await shop.page.getByRole("link", { name: "Go to checkout" }).click();
    await expect(checkout.element.locator('input[name="number"]')).toBeVisible();
    await expect(shop.page.locator('iframe[title="Secure payment input frame"]')).toHaveCount(1);
    await expect(checkout.payButton()).toBeEnabled();
    await checkout.fillDetails();
    await checkout.fillCard("4242 4242 4242 4242");
    await checkout.pay();
    const params = await checkout.returned();
    expect(await stripeRequests(request, `/${params.get("payment_intent")}/confirm`)).toBe(1);
  });

  test("leaving while the payment is still being prepared breaks nothing", async ({ shop, request }) => {
    await shop.open("/");
    await shop.addToCart("Stoneware Mug");
    await expect(shop.cartCount).toHaveText("1");
    await shop.open("/checkout");
    // At once, before the PaymentIntent or the element can be ready.
    await shop.page.getByRole("link", { name: /Cart/ }).click();
    await expect(shop.page).toHaveURL(/\/cart$/);
    await shop.page.getByRole("link", { name: "Go to checkout" }).click();
    const checkout = new Checkout(shop);
    await expect(checkout.payButton()).toBeEnabled();
    await expect(shop.page.locator('iframe[title="Secure payment input frame"]')).toHaveCount(1);
    await checkout.fillDetails();
    await checkout.fillCard("4242 4242 4242 4242");
    await checkout.pay();
    const params = await checkout.returned();
    expect(await stripeRequests(request, `/${params.get("payment_intent")}/confirm`)).toBe(1);
  });

  test("pays on a phone-sized screen", async ({ shop }) => {
    await shop.page.setViewportSize({ width: 390, height: 844 });
    const checkout = await checkoutWithMugs(shop);
    const button = await checkout.payButton().boundingBox();
    expect(button!.width).toBeLessThanOrEqual(390);
    await checkout.fillDetails();
    await checkout.fillCard("4242 4242 4242 4242");
    await checkout.pay();
    expect((await checkout.returned()).get("redirect_status")).toBe("succeeded");
  });

  test("Pay stays where it is while the Payment Element's frame grows to its height", async ({ shop }) => {
    // A frame the browser has not rendered yet (below the fold, say) is tiny and grows
    // when it is rendered, maybe as the shopper reaches for Pay: the page keeps its room.
    const checkout = await checkoutWithMugs(shop);
    const frame = shop.page.locator("#payment-element iframe");
    const payTop = async () => (await checkout.payButton().boundingBox())!.y;
    const grown = await frame.evaluate((f: HTMLIFrameElement) => f.style.height);
    const room = await shop.page.locator(".payment-slot").evaluate((slot) => parseFloat(getComputedStyle(slot).minHeight));
    expect(parseFloat(grown), "the element fits the room the page keeps for it").toBeLessThanOrEqual(room);
    await frame.evaluate((f: HTMLIFrameElement) => (f.style.height = "4px"));
    const beforeRendered = await payTop();
    await frame.evaluate((f: HTMLIFrameElement, height: string) => (f.style.height = height), grown);
    expect(await payTop()).toBe(beforeRendered);
  });
});

test("without JavaScript the checkout renders and explains that paying needs it", async ({ shop, javaScriptEnabled }) => {
  test.skip(javaScriptEnabled, "the no-JS project");
  await shop.open("/");
  await shop.addToCart("Stoneware Mug");
  await shop.open("/checkout");
  await expect(shop.page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  await expect(shop.page.getByLabel("Email")).toBeVisible();
  await expect(shop.page.getByTestId("checkout-total")).toHaveText("$23.00");
  await expect(shop.page.getByTestId("needs-javascript")).toBeVisible();
  await expect(shop.page.getByTestId("needs-javascript")).toContainText("needs JavaScript");
  await expect(shop.page.getByRole("button", { name: /^Pay/ })).toBeHidden();
  // The steppers still work: a form post and a redirect back.
  await shop.page.getByRole("button", { name: "One more Stoneware Mug" }).click();
  await expect(shop.page).toHaveURL(/\/checkout/);
  await expect(shop.page.getByTestId("checkout-total")).toHaveText("$41.00");
});
