import { expect, test as base, type Locator, type Page } from "@playwright/test";

/** A page of the shop, driven the way a shopper sees it. */
export class Shop {
  readonly cartCount: Locator;

  constructor(
    readonly page: Page,
    readonly hydrated: boolean,
  ) {
    this.cartCount = page.getByTestId("cart-count");
  }

  /** Opens a path and, when JavaScript runs, waits until the page is hydrated:
   * clicks before hydration would be lost. */
  async open(path: string) {
    await this.page.goto(path);
    if (this.hydrated) {
      await this.page.locator("html[data-hydrated]").waitFor();
    }
  }

  product(name: string): Locator {
    return this.page.getByRole("article", { name });
  }

  async addToCart(name: string, quantity?: string) {
    const product = this.product(name);
    if (quantity !== undefined) {
      await product.getByLabel("Quantity").fill(quantity);
    }
    await product.getByRole("button", { name: "Add to cart" }).click();
  }

  cartLine(name: string): Locator {
    return this.page.getByRole("list", { name: "Items in your cart" }).getByRole("article", { name });
  }

  async setQuantity(name: string, quantity: string) {
    const line = this.cartLine(name);
    await line.getByLabel(`Quantity of ${name}`, { exact: true }).fill(quantity);
    await line.getByRole("button", { name: "Update" }).click();
  }

  alert(): Locator {
    return this.page.getByRole("alert");
  }
}

type Fixtures = { shop: Shop };

/** The test with a `shop` fixture, failing on any Content-Security-Policy violation. */
export const test = base.extend<Fixtures>({
  shop: async ({ page, javaScriptEnabled }, use) => {
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy|Refused to (execute|load|connect|apply)/i.test(message.text())) {
        violations.push(message.text());
      }
    });
    page.on("pageerror", (error) => violations.push(`page error: ${error.message}`));
    await use(new Shop(page, javaScriptEnabled));
    expect(violations, "CSP violations or page errors").toEqual([]);
  },
});

export { expect };
