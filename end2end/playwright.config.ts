import { defineConfig } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// The suite runs against the release build (`cargo leptos build --release`), which is
// what shoppers get. Cargo's target directory may live outside the clone (CI keeps a
// cache there), so follow CARGO_TARGET_DIR like cargo does.
const root = path.resolve(__dirname, "..");
const targetDir = path.resolve(root, process.env.CARGO_TARGET_DIR ?? "target");
const server = path.join(targetDir, "release", "storefront");
const port = Number(process.env.SHOP_PORT ?? 3000);
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "storefront-e2e-"));

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

// The Stripe emulator's own browser tests: Stripe.js on 127.0.0.2, the merchant test
// page on 127.0.0.1, so the two are different sites, as a shop and Stripe are.
const emulator = path.join(targetDir, "release", "stripe-emulator");
const emulatorPort = Number(process.env.EMULATOR_PORT ?? 12112);
const testPagePort = Number(process.env.EMULATOR_PAGE_PORT ?? 12113);
const emulatorURL = `http://127.0.0.2:${emulatorPort}`;
// A fixed secret key, so specs can drive the emulator's API as a server would (the
// official SDK's spec does); workers inherit it.
process.env.EMULATOR_SECRET_KEY ??= "sk_test_playwright00000000";
const emulatorSecretKey = process.env.EMULATOR_SECRET_KEY;

// `--project stripe-emulator` alone (the emulator's own tests) needs no shop: it is
// then not started, so those tests run without a release build of the shop.
const requestedProjects: string[] = [];
process.argv.forEach((arg, i, all) => {
  if (arg.startsWith("--project=")) requestedProjects.push(arg.slice("--project=".length));
  // `--project a b` names several (the option is variadic).
  if (arg === "--project") {
    for (let j = i + 1; j < all.length && !all[j].startsWith("-"); j++) requestedProjects.push(all[j]);
  }
});
const emulatorOnly = requestedProjects.length > 0 && requestedProjects.every((p) => p === "stripe-emulator");

// The shop runs in its default, embedded mode: its own emulator in-process, here on
// 127.0.0.2 so Stripe.js and the Payment Element are on another site than the shop.
const shopEmulatorPort = Number(process.env.SHOP_EMULATOR_PORT ?? 12114);

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: chromium,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [
    { name: "hydrated", testIgnore: [/emulator\//, /confirmation\.spec/, /money-safety\.spec/], use: { javaScriptEnabled: true } },
    { name: "no-js", testIgnore: [/emulator\//, /confirmation\.spec/, /money-safety\.spec/], use: { javaScriptEnabled: false } },
    // The confirmation tests hold webhooks and switch the shop's emulator to hosted
    // 3-D Secure: they run after every other shop test, so nothing else sees that.
    {
      name: "confirmation",
      testMatch: /confirmation\.spec\.ts/,
      dependencies: ["hydrated", "no-js"],
      use: { javaScriptEnabled: true },
    },
    {
      name: "confirmation-no-js",
      testMatch: /confirmation\.spec\.ts/,
      dependencies: ["hydrated", "no-js"],
      use: { javaScriptEnabled: false },
    },
    // Holding the last units and forcing payments: after the confirmation tests, so no
    // held webhook delays them and no other test sees the stock held.
    {
      name: "money-safety",
      testMatch: /money-safety\.spec\.ts/,
      dependencies: ["confirmation", "confirmation-no-js"],
      use: { javaScriptEnabled: true },
    },
    {
      name: "money-safety-no-js",
      testMatch: /money-safety\.spec\.ts/,
      dependencies: ["confirmation", "confirmation-no-js"],
      use: { javaScriptEnabled: false },
    },
    {
      name: "stripe-emulator",
      testMatch: /emulator\/.*\.spec\.ts/,
      use: { javaScriptEnabled: true, baseURL: `http://127.0.0.1:${testPagePort}` },
    },
  ],
  webServer: [
    {
      command: `${emulator} --host 127.0.0.2 --port ${emulatorPort} --also-listen 127.0.0.1:${testPagePort} --control-api --webhook-retries fast --secret-key ${emulatorSecretKey}`,
      url: `${emulatorURL}/js.stripe.com/v3/`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: "ignore",
      stderr: "pipe",
      env: { RUST_LOG: "warn" },
    },
    ...(emulatorOnly
      ? []
      : [
          {
            // An operator account first (the password on standard input, as a
            // provisioning script gives it), then the shop.
            command: `sh -c 'printf "%s\\n" "$E2E_OPERATOR_PASSWORD" | "${server}" operator add "$E2E_OPERATOR" && exec "${server}"'`,
            url: `${baseURL}/healthz`,
            reuseExistingServer: false,
            timeout: 60_000,
            stdout: "ignore",
            stderr: "pipe",
            env: {
              LISTEN_ADDR: `127.0.0.1:${port}`,
              DATA_DIR: dataDir,
              // Set explicitly so a developer's .env can never point the suite at their data.
              DATABASE_URL: `sqlite://${path.join(dataDir, "shop.db")}`,
              LEPTOS_SITE_ROOT: path.join(root, "target", "site"),
              LEPTOS_OUTPUT_NAME: "storefront",
              LEPTOS_ENV: "PROD",
              RUST_LOG: "warn",
              EMULATOR_ADDR: `127.0.0.2:${shopEmulatorPort}`,
              // Limits are high here; an integration test checks them at their real size.
              PAYMENT_INTENTS_PER_IP: "1000000",
              PAYMENT_INTENTS_PER_CART: "1000000",
              SUBMITS_PER_IP: "1000000",
              SUBMITS_PER_CART: "1000000",
              CARTS_PER_IP: "1000000",
              // Every test signs in from 127.0.0.1; the throttle has its own test.
              ADMIN_LOGIN_ATTEMPTS: "10000",
              E2E_OPERATOR: "playwright",
              E2E_OPERATOR_PASSWORD: "playwright operator password",
            },
          },
        ]),
  ],
});
