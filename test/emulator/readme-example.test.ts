import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { checkEmulatorConfig, startEmulator } from "../../emulator";
import { ClusterStatusSchema } from "../../wire/schemas";

// Keeps the in-process snippet of emulator/README.md runnable ("pulumi-cyclecloud/emulator" is
// this repository's emulator/index.ts).
test("the README's in-process example reads the seed cluster's status", async () => {
  const emulator = await startEmulator({ timing: { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 } });
  const auth = `Basic ${Buffer.from(`${emulator.username}:${emulator.password}`).toString("base64")}`;
  const response = await fetch(`${emulator.url}/clusters/hpc/status`, { headers: { Authorization: auth } });
  const status: unknown = await response.json(); // the seed's cluster `hpc`
  await emulator.close();

  expect(response.status).toBe(200);
  const parsed = ClusterStatusSchema.parse(status);
  expect(
    parsed.nodearrays.map((nodearray) => nodearray.buckets.map((bucket) => bucket.definition?.machineType)),
  ).toEqual([["Standard_Fs32_v2", "Standard_Hc44rs"]]);
});

// Keeps the config example of emulator/README.md ("Config format") valid and meaningful.
test("the README's config example is a valid config whose quotas the status reports", async () => {
  const readme = await readFile(join(__dirname, "..", "..", "emulator", "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Config format"));
  const block = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  const config = checkEmulatorConfig(JSON.parse(block ?? "null"), "README example");
  const emulator = await startEmulator({ config });
  try {
    const auth = `Basic ${Buffer.from(`${emulator.username}:${emulator.password}`).toString("base64")}`;
    const response = await fetch(`${emulator.url}/clusters/lab/status`, { headers: { Authorization: auth } });
    const status = ClusterStatusSchema.parse(await response.json());
    const a100 = status.nodearrays.find((nodearray) => nodearray.name === "a100")?.buckets[0];
    // Family: 48 - 24 = 24 cores free: one node; the region (400 - 100 - 4 for the head node) has room.
    expect(
      a100 && [
        a100.availableCount,
        a100.familyQuotaCoreCount,
        a100.familyConsumedCoreCount,
        a100.regionalConsumedCoreCount,
      ],
    ).toEqual([1, 48, 24, 104]);
    const spot = status.nodearrays.find((nodearray) => nodearray.name === "gpu")?.buckets[0];
    expect(spot && [spot.familyQuotaCoreCount, spot.regionalQuotaCoreCount]).toEqual([0, 96]);
  } finally {
    await emulator.close();
  }
});
