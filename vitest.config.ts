import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Test-only settings live here and nowhere else.

/** The workers project's secrets (test values). */
const TEST_SECRETS = {
  X_CONSUMER_SECRET: "test-consumer-secret",
  ADMIN_TOKEN: "test-admin-token",
  TOKEN_ENCRYPTION_KEY: "dGVzdC10b2tlbi1lbmNyeXB0aW9uLWtleS0zMi1ieXQ=",
  FORWARD_SECRET: "whsec_dGVzdC1mb3J3YXJkLXNlY3JldA==",
};
// wrangler reads wrangler.toml for each test file and warns "Missing required secrets" unless it
// finds `[secrets] required` in .dev.vars, .env or the environment: give it the test values
// (the same ones the bindings below set), so the test output shows failures, not that warning.
for (const [name, value] of Object.entries(TEST_SECRETS)) process.env[name] ??= value;
// Finding them, wrangler then says "Using secrets defined in process.env" once per test file: an
// info line. Warnings and errors still print (a user's WRANGLER_LOG wins); the e2e harness uses
// the same level for the Workers it starts.
process.env.WRANGLER_LOG ??= "warn";
// Two projects: "workers" runs inside workerd with real local KV, Durable Objects and Queues;
// "node" runs the X emulator's own tests and the end-to-end tests, where the emulator and the
// Worker talk over real HTTP on loopback.
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            remoteBindings: false,
            miniflare: {
              // METRICS_FLUSH_SECONDS 0: the consumers' metrics reach the Metrics object every
              // batch, so a test reads them at once (the buffered default has its own test).
              bindings: { ...TEST_SECRETS, METRICS_FLUSH_SECONDS: "0" },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/emulator/**/*.test.ts", "test/e2e/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
