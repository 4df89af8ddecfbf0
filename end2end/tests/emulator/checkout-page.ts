import { expect, type FrameLocator, type Page, type APIRequestContext } from "@playwright/test";

/** Where Stripe.js comes from: another site than the test page, as with Stripe. */
export const emulatorURL = `http://127.0.0.2:${process.env.EMULATOR_PORT ?? 12112}`;

/** The secret key the suite starts the emulator with (playwright.config.ts). */
export const emulatorSecretKey = process.env.EMULATOR_SECRET_KEY ?? "sk_test_playwright00000000";

/** A test card as the shopper types it. */
export interface Card {
  number: string;
  expiry?: string;
  cvc?: string;
  postalCode?: string;
}

/**
 * The emulator's merchant test page, driven with the selectors public suites use
 * against Stripe's real Payment Element.
 */
export class CheckoutPage {
  readonly element: FrameLocator;

  constructor(readonly page: Page) {
    this.element = page.frameLocator('iframe[title="Secure payment input frame"]');
  }

  async open(query = "") {
    await this.page.goto(`/_emulator/test-page${query ? "?" + query : ""}`);
    await expect.poll(() => this.events("ready")).toBeGreaterThan(0);
  }

  events(type: string): Promise<number> {
    return this.page.evaluate((t) => (window as any).testPage.events.filter((e: any) => e.type === t).length, type);
  }

  lastChange(): Promise<any> {
    return this.page.evaluate(() => (window as any).testPage.events.filter((e: any) => e.type === "change").at(-1));
  }

  async fill(card: Card) {
    await this.element.locator('input[name="number"]').fill(card.number);
    await this.element.locator('input[name="expiry"]').fill(card.expiry ?? "12 / 34");
    await this.element.locator('input[name="cvc"]').fill(card.cvc ?? "123");
    const postal = this.element.locator('input[name="postalCode"]');
    if (await postal.isVisible()) await postal.fill(card.postalCode ?? "94103");
  }

  async pay() {
    await this.page.getByRole("button", { name: "Pay" }).click();
  }

  async payWith(card: Card) {
    await this.fill(card);
    await this.pay();
  }

  error() {
    return this.page.locator("#error-message");
  }

  result(): Promise<any> {
    return this.page.evaluate(() => (window as any).testPage.result);
  }

  /** The 3-D Secure test page inside the modal's iframe chain. */
  challenge(): FrameLocator {
    return this.page
      .frameLocator('iframe[name^="__privateStripeFrame"][src*="three-ds-2-challenge"]')
      .frameLocator("#challengeFrame")
      .frameLocator('iframe[name="stripe-challenge-frame"]');
  }
}

/** Requests the emulator received for a path, from its request log. */
export async function requestsTo(request: APIRequestContext, pathEnd: string): Promise<number> {
  const log = await (await request.get(`${emulatorURL}/_emulator/requests`)).json();
  return log.data.filter((r: any) => r.path.endsWith(pathEnd)).length;
}
