// What a shopper downloads before a page is usable, as Chromium sees it on the wire:
// a fresh browser context (cold cache) per page, every response's encoded body size,
// grouped by kind. Stripe.js and its frames (another origin) are reported apart.
//
//   node bench/transfer-size.mjs SHOP_URL REACT_URL
//
// A shop page counts until it is hydrated and the network is idle; a checkout counts
// until its Pay button is enabled (the Payment Element is ready). Prints a table and
// the ratios to the React reference checkout. Figures only: nothing passes or fails.
import { createRequire } from "node:module";

const require = createRequire(new URL("../end2end/package.json", import.meta.url));
const { chromium } = require("@playwright/test");

const [shopURL, reactURL] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});

function kind(request, origin) {
  const url = new URL(request.url());
  if (url.origin !== origin) return "stripe";
  if (url.pathname.endsWith(".wasm")) return "wasm";
  const type = request.resourceType();
  if (type === "script") return "js";
  if (type === "stylesheet") return "css";
  if (type === "document") return "html";
  if (type === "fetch" || type === "xhr") return "data";
  return "other";
}

/** Loads one page in a cold context; `prepare` may set up cookies, `usable` waits. */
async function measure(name, url, { prepare, usable }) {
  const context = await browser.newContext();
  if (prepare) await prepare(context);
  const page = await context.newPage();
  const origin = new URL(url).origin;
  const bytes = { wasm: 0, js: 0, css: 0, html: 0, data: 0, other: 0, stripe: 0 };
  const pending = [];
  let counting = true;
  page.on("requestfinished", (request) => {
    pending.push(
      request.sizes().then((sizes) => {
        if (counting) bytes[kind(request, origin)] += sizes.responseBodySize;
      }),
    );
  });
  const started = Date.now();
  await page.goto(url);
  await usable(page);
  const millis = Date.now() - started;
  await Promise.all(pending);
  counting = false;
  await context.close();
  return { name, millis, ...bytes, code: bytes.wasm + bytes.js + bytes.css };
}

const hydrated = async (page) => {
  await page.locator("html[data-hydrated]").waitFor();
  await page.waitForLoadState("networkidle");
};
const payEnabled = async (page) => {
  const pay = page.getByRole("button", { name: /^Pay/ });
  await pay.waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll("button")].some((b) => /^Pay/.test(b.textContent) && !b.disabled), null, { timeout: 30_000 });
};
const withCart = async (context) => {
  for (const [product, quantity] of [["linen-apron", "2"], ["stoneware-mug", "1"]]) {
    const response = await context.request.post(`${shopURL}/api/cart/add`, {
      form: { product_id: product, quantity },
      headers: { Accept: "application/json", Origin: shopURL },
    });
    if (!response.ok()) throw new Error(`adding ${product}: ${response.status()}`);
  }
};

const rows = [
  await measure("react /checkout", `${reactURL}/checkout`, { usable: payEnabled }),
  await measure("shop /checkout", `${shopURL}/checkout`, { prepare: withCart, usable: payEnabled }),
  await measure("shop /", `${shopURL}/`, { usable: hydrated }),
  await measure("shop /cart", `${shopURL}/cart`, { prepare: withCart, usable: hydrated }),
];
await browser.close();

const kb = (n) => (n / 1000).toFixed(1);
console.log("\nbytes on the wire before the page is usable (KB = 1000 B, encoded body sizes)");
console.log(`${"page".padEnd(18)}${["wasm", "js", "css", "code", "html", "data", "stripe", "ms"].map((h) => h.padStart(9)).join("")}   vs react`);
const reference = rows[0].code;
for (const row of rows) {
  const cells = [row.wasm, row.js, row.css, row.code, row.html, row.data, row.stripe].map((n) => kb(n).padStart(9));
  console.log(`${row.name.padEnd(18)}${cells.join("")}${String(row.millis).padStart(9)}   ${(row.code / reference).toFixed(2)}×`);
}
console.log("\ncode = wasm + js + css, the figure compared; stripe = Stripe.js and its frames, apart.");
