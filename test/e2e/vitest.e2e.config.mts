import { defineConfig } from "vitest/config";

/**
 * The end-to-end suite (`npm run test:e2e`): the real `pulumi` CLI drives the example programs
 * against emulators. Every engine run spawns a language host, a TypeScript compile and a provider
 * process, so files run one at a time (two cores) and timeouts are in minutes.
 */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    globalSetup: ["test/e2e/global-setup.ts"],
    fileParallelism: false,
    // A scenario runs a few engine commands of 3-10 s each; npm install from the registry can take minutes.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // One retry would hide exactly the flakiness an end-to-end suite exists to show.
    retry: 0,
  },
});
