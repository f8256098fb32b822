import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The end-to-end suite needs the Pulumi CLI and runs only through `npm run test:e2e`.
    exclude: [...configDefaults.exclude, "test/e2e/**"],
    // Tests start real servers on ephemeral ports; two workers suit the 2-core CI machines.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
