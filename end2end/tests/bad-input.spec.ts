import { expect, test } from "./shop";

test.describe("quantities the shop refuses, with the reason in the page", () => {
  const cases = [
    { quantity: "0", message: "The quantity must be at least 1." },
    { quantity: "-2", message: "The quantity must be at least 1." },
    { quantity: "100", message: "You can order at most 99 of one item." },
  ];
  for (const { quantity, message } of cases) {
    test(`adding ${quantity}`, async ({ shop }) => {
      await shop.open("/");
      await shop.addToCart("Linen Apron", quantity);
      await expect(shop.alert()).toContainText(message);
      await expect(shop.cartCount).toHaveText("0");
    });
  }

  test("more than the stock", async ({ shop }) => {
    await shop.open("/");
    await shop.addToCart("Copper Coffee Scoop", "4");
    await expect(shop.alert()).toContainText("Only 3 of Copper Coffee Scoop left in stock");
    await expect(shop.cartCount).toHaveText("0");
  });

  test("a cart line set to zero or above the stock keeps its quantity", async ({ shop }) => {
    await shop.open("/");
    await shop.addToCart("Merino Wool Throw", "2");
    await expect(shop.cartCount).toHaveText("2");
    await shop.open("/cart");

    await shop.setQuantity("Merino Wool Throw", "0");
    await expect(shop.alert()).toContainText("The quantity must be at least 1.");
    await shop.setQuantity("Merino Wool Throw", "7");
    await expect(shop.alert()).toContainText("Only 6 of Merino Wool Throw left in stock");

    await expect(shop.cartCount).toHaveText("2");
    await expect(shop.cartLine("Merino Wool Throw").getByTestId("line-total")).toHaveText("$258.00");
  });
});

test.describe("requests no form of ours would send", () => {
  // What a tampered form posts. A hydrated client gets a typed 4xx; a browser
  // without JavaScript is redirected back to the page, which shows the reason.
  async function tamperedPost(shop: import("./shop").Shop, form: Record<string, string>) {
    const origin = new URL(shop.page.url()).origin;
    return shop.page.request.post("/api/cart/add", {
      form,
      headers: shop.hydrated
        ? { Origin: origin, Accept: "application/json" }
        : { Origin: origin, Accept: "text/html", Referer: `${origin}/` },
      maxRedirects: 0,
    });
  }

  for (const { form, status, message } of [
    { form: { product_id: "linen-apron", quantity: "lots" }, status: 400, message: "Please enter the quantity as a whole number." },
    { form: { product_id: "no-such-product", quantity: "1" }, status: 404, message: "We couldn't find that product." },
  ]) {
    test(`${JSON.stringify(form)}`, async ({ shop, page }) => {
      await shop.open("/");
      const response = await tamperedPost(shop, form);
      if (shop.hydrated) {
        expect(response.status()).toBe(status);
        const error = await response.json();
        // Unit variants arrive as a string, others as an object keyed by the variant.
        const kind = typeof error === "string" ? error : Object.keys(error)[0];
        expect(kind).toMatch(/InvalidQuantity|UnknownProduct/);
      } else {
        expect(response.status()).toBe(302);
        await page.goto(response.headers()["location"]);
        await expect(shop.alert()).toContainText(message);
      }
      await expect(shop.cartCount).toHaveText("0");
    });
  }

  test("a post from another site is refused", async ({ shop }) => {
    await shop.open("/");
    const response = await shop.page.request.post("/api/cart/add", {
      form: { product_id: "linen-apron", quantity: "1" },
      headers: { Origin: "https://evil.example" },
      maxRedirects: 0,
    });
    expect(response.status()).toBe(403);
    const page = await response.text();
    expect(page).toContain("came from another website");
    expect(page).toContain(`<a href="/">Back to the shop</a>`);
    await shop.open("/");
    await expect(shop.cartCount).toHaveText("0");
  });
});

test("a forged cart cookie starts a fresh cart with a notice", async ({ shop, page, context, baseURL }) => {
  await context.addCookies([{ name: "cart", value: "forged-or-expired", url: baseURL! }]);
  await shop.open("/cart");
  await expect(page.getByRole("status")).toContainText("Your cart had expired");
  await expect(page.getByText("Your cart is empty.")).toBeVisible();

  await shop.open("/");
  await shop.addToCart("Linen Apron");
  await expect(shop.cartCount).toHaveText("1");
  const cookie = (await context.cookies()).find((c) => c.name === "cart");
  expect(cookie?.value).not.toBe("forged-or-expired");
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe("Lax");
});
