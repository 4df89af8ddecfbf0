// Serves the reference checkout: its page, its precompressed bundle, and one endpoint
// that creates a PaymentIntent with Stripe's own Node SDK, against the same Stripe
// (here, the emulator) as the shop. Prints "listening <url>" once ready.
//   STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY: the emulator's keys
//   STRIPE_API_BASE: e.g. http://127.0.0.2:12120 (also serves Stripe.js)
//   PORT: 0 picks a free one
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import Stripe from "stripe";

const api = new URL(process.env.STRIPE_API_BASE);
const stripe = new Stripe(process.env.STRIPE_SECRET_KEY, {
  host: api.hostname,
  port: Number(api.port),
  protocol: api.protocol.replace(":", ""),
  apiVersion: "2023-08-16",
  maxNetworkRetries: 2,
});
const publishableKey = process.env.STRIPE_PUBLISHABLE_KEY;
const lines = [
  { name: "Linen apron", quantity: 2, unit: 3800 },
  { name: "Stoneware mug", quantity: 1, unit: 2400 },
].map((line) => ({ ...line, total: line.quantity * line.unit }));
const amount = lines.reduce((sum, line) => sum + line.total, 0) + 500;

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Checkout · React reference</title>
<script src="${api.origin}/js.stripe.com/v3/"></script>
<script>window.__PUBLISHABLE_KEY__ = ${JSON.stringify(publishableKey)};</script>
<link rel="stylesheet" href="/app.css"><script type="module" src="/app.js"></script>
</head><body><div id="root"></div></body></html>`;
const assets = {
  "/app.js": ["text/javascript", readFileSync(new URL("./dist/app.js.br", import.meta.url))],
  "/app.css": ["text/css", readFileSync(new URL("./dist/app.css.br", import.meta.url))],
};

const server = createServer(async (request, response) => {
  try {
    if (request.method === "GET" && request.url === "/checkout") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      return response.end(page);
    }
    const asset = request.method === "GET" && assets[request.url];
    if (asset) {
      // The reference is only ever driven by Chromium, which always accepts brotli.
      response.writeHead(200, { "content-type": asset[0], "content-encoding": "br", "cache-control": "no-cache" });
      return response.end(asset[1]);
    }
    if (request.method === "POST" && request.url === "/payment-intent") {
      const intent = await stripe.paymentIntents.create({
        amount,
        currency: "usd",
        automatic_payment_methods: { enabled: true },
      });
      response.writeHead(200, { "content-type": "application/json" });
      return response.end(JSON.stringify({ clientSecret: intent.client_secret, amount, lines }));
    }
    response.writeHead(404).end();
  } catch (error) {
    console.error(error);
    response.writeHead(500).end();
  }
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening http://127.0.0.1:${server.address().port}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
