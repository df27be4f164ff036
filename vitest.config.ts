import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      "@": path.resolve(import.meta.dirname),
      // Outside Next's react-server build, "server-only" would throw; tests are server code.
      "server-only": path.resolve(import.meta.dirname, "node_modules/server-only/empty.js"),
    },
  },
  test: {
    include: ["server/**/*.test.ts", "agent/src/**/*.test.ts", "components/**/*.test.ts"],
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Fixed test secrets, so no test writes a secrets file into the working tree.
    env: {
      FERRY_MASTER_KEY: "74657374206d6173746572206b657920666f722066657272792074657374732e",
      NEXTAUTH_SECRET: "test-session-secret-of-at-least-32-characters",
    },
  },
});
