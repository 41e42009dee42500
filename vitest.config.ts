import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Test-only settings live here and nowhere else.
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
              bindings: {
                X_CONSUMER_SECRET: "test-consumer-secret",
                ADMIN_TOKEN: "test-admin-token",
                TOKEN_ENCRYPTION_KEY: "dGVzdC10b2tlbi1lbmNyeXB0aW9uLWtleS0zMi1ieXQ=",
                FORWARD_SECRET: "whsec_dGVzdC1mb3J3YXJkLXNlY3JldA==",
              },
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
