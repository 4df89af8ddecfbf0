import { expect, test } from "./shop";

test("browse the catalog", async ({ shop, page }) => {
  await shop.open("/");

  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Goods for the kitchen and home");
  const products = page.locator(".product-card");
  expect(await products.count()).toBeGreaterThanOrEqual(8);
  const apron = shop.product("Linen Apron");
  await expect(apron).toContainText("$38.00");
  await expect(apron.locator("img")).toHaveAttribute("src", "/images/linen-apron.svg");
  await expect(apron.getByRole("button", { name: "Add to cart" })).toBeEnabled();
  await expect(shop.product("Hand-thrown Teapot")).toContainText("Sold out");
  await expect(shop.product("Hand-thrown Teapot").getByRole("button")).toHaveCount(0);
  await expect(shop.cartCount).toHaveText("0");
});

test("add to the cart, change quantities, remove, and see it empty", async ({ shop, page }) => {
  await shop.open("/");
  // A hydrated page must not reload: this marker would vanish if it did.
  if (shop.hydrated) await page.evaluate(() => ((window as any).__sameDocument = true));

  await shop.addToCart("Linen Apron");
  await expect(shop.cartCount).toHaveText("1");
  await shop.addToCart("Stoneware Mug", "2");
  await expect(shop.cartCount).toHaveText("3");
  if (shop.hydrated) {
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    await expect(page.getByRole("status")).toHaveText("Added to your cart.");
  }

  await page.getByRole("link", { name: /Cart/ }).click();
  await expect(page).toHaveURL(/\/cart$/);
  if (shop.hydrated) await page.locator("html[data-hydrated]").waitFor();
  const apron = shop.cartLine("Linen Apron");
  await expect(apron).toContainText("$38.00 each");
  await expect(page.getByTestId("subtotal")).toHaveText("$74.00");

  await apron.getByRole("button", { name: "One more Linen Apron" }).click();
  await expect(apron.getByTestId("line-total")).toHaveText("$76.00");
  await expect(shop.cartCount).toHaveText("4");

  await shop.setQuantity("Linen Apron", "5");
  await expect(apron.getByTestId("line-total")).toHaveText("$190.00");
  await expect(page.getByTestId("subtotal")).toHaveText("$226.00");

  await apron.getByRole("button", { name: "One fewer Linen Apron" }).click();
  await expect(apron.getByTestId("line-total")).toHaveText("$152.00");
  await expect(shop.cartCount).toHaveText("6");

  await apron.getByRole("button", { name: "Remove Linen Apron" }).click();
  await expect(apron).toHaveCount(0);
  await expect(shop.cartCount).toHaveText("2");
  await shop.cartLine("Stoneware Mug").getByRole("button", { name: "Remove Stoneware Mug" }).click();
  await expect(page.getByText("Your cart is empty.")).toBeVisible();
  await expect(shop.cartCount).toHaveText("0");
  await expect(page.getByRole("link", { name: "Browse the shop" })).toBeVisible();
});

test("the cart survives a reload", async ({ shop, page }) => {
  await shop.open("/");
  await shop.addToCart("Beeswax Candle", "2");
  await expect(shop.cartCount).toHaveText("2");

  await shop.open("/cart");
  await page.reload();
  if (shop.hydrated) await page.locator("html[data-hydrated]").waitFor();

  await expect(shop.cartLine("Beeswax Candle")).toContainText("$48.00");
  await expect(shop.cartCount).toHaveText("2");
  await expect(page.getByRole("link", { name: "Go to checkout" })).toHaveAttribute("href", "/checkout");
});

test("the minus button cannot go below one", async ({ shop }) => {
  await shop.open("/");
  await shop.addToCart("Canvas Tote");
  await expect(shop.cartCount).toHaveText("1");
  await shop.open("/cart");
  await expect(shop.cartLine("Canvas Tote").getByRole("button", { name: "One fewer Canvas Tote" })).toBeDisabled();
});
