import { expect, test } from "vitest";
import { startEmulator } from "../../emulator";
import { ClusterStatusSchema } from "../../provider/schemas";

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
