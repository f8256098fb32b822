/** getClusterStatus refuses a cluster name that is no CycleCloud name (issue 24 item 2), before any request. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";
import { getClusterStatus } from "../../provider";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emu.close();
});

const RULE = "1-80 characters of letters, digits, '.', '_' and '-', starting with a letter or digit";

describe("getClusterStatus cluster names", () => {
  for (const cluster of ["..", ".", "hpc/nodes", ""]) {
    it(`refuses the cluster ${JSON.stringify(cluster)} naming the rule, without a request`, async () => {
      const before = emu.counters().total;
      const connection = { url: emu.url, username: emu.username, password: emu.password };
      await expect(getClusterStatus({ cluster, connection })).rejects.toEqual(
        new TypeError(
          `getClusterStatus: \`cluster\` must be ${RULE}, got ${JSON.stringify(cluster)}: ` +
            'give the name of the CycleCloud cluster to read, e.g. "hpc"',
        ),
      );
      expect(emu.counters().total).toBe(before);
    });
  }
});
