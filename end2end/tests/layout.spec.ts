import { expect, test } from "./shop";

test.describe("on a 375 px wide phone", () => {
  test.use({ viewport: { width: 375, height: 740 } });

  for (const path of ["/", "/cart"]) {
    test(`${path} fits the screen`, async ({ shop, page }) => {
      await shop.open("/");
      await shop.addToCart("Enamel Kettle");
      await expect(shop.cartCount).toHaveText("1");
      await shop.open(path);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);
    });
  }
});

test("every control has a label and keyboard focus is visible", async ({ shop, page }) => {
  await shop.open("/");
  const unlabelled = await page.locator("input:not([type=hidden])").evaluateAll((inputs) =>
    inputs.filter((input) => !(input as HTMLInputElement).labels?.length).length,
  );
  expect(unlabelled).toBe(0);

  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  expect(outline).toBe("solid");
});

test("unknown pages say so", async ({ shop, page }) => {
  const response = await page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("We couldn't find that page");
  await expect(shop.cartCount).toHaveText("0");
});
