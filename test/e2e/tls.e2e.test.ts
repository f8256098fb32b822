/**
 * HTTPS through the engine: the emulator serves a certificate issued at start by a throwaway CA
 * (`startEmulator({ tls: true })`, as `cyclecloud-emulator --tls`). A stack trusting the CA with
 * `cyclecloud:caCertPath` creates and destroys nodes; a stack without it fails with the client's
 * certificate message before any request reaches CycleCloud.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";
import { E2E_TIMING, expectFailure, expectSuccess, output, Workspace } from "./harness";

let emulator: RunningEmulator;
const workspaces: Workspace[] = [];

/** A quickstart stack against the HTTPS emulator, with `config` on top of its URL and credentials. */
async function stack(label: string, config: Record<string, string>): Promise<Workspace> {
  const ws = await Workspace.create({ example: "quickstart", label });
  workspaces.push(ws);
  await ws.init(emulator, config);
  return ws;
}

/** Nodes not on their way out. The admin surface is HTTPS too: ask the in-process emulator. */
const liveNodes = () =>
  emulator.nodes().filter((n) => !["Terminating", "Terminated"].includes(n.record.Status));

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, timing: E2E_TIMING, tls: true });
});

afterAll(async () => {
  for (const ws of workspaces) await ws.dispose();
  await emulator?.close();
});

describe("a stack against the emulator over HTTPS", () => {
  it("without the CA, `up` fails with the certificate message and nothing reaches CycleCloud", async () => {
    const ws = await stack("tls-untrusted", {});

    const up = expectFailure(await ws.up());

    expect(output(up)).toContain(
      "error: pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSet resource 'workers' " +
        "has a problem: preflight could not read the status of cluster 'hpc': Could not verify the TLS certificate " +
        `of CycleCloud at ${emulator.url} for GET /clusters/hpc/status?nodes=false: unable to verify the first ` +
        "certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE). To fix, if the server uses a self-signed or private " +
        "certificate, trust it with the `caCert` option (stack config `cyclecloud:caCertPath` or " +
        "`cyclecloud:caCert`); `insecure: true` turns verification off (not recommended). The CA comes from stack " +
        "config `cyclecloud:caCert` or CYCLECLOUD_CA_CERT or stack config `cyclecloud:caCertPath` or " +
        "CYCLECLOUD_CA_CERT_PATH, `insecure` from stack config `cyclecloud:insecure` or CYCLECLOUD_INSECURE\n",
    );
    expect(emulator.nodes()).toEqual([]);
    // The handshake failed: no HTTP request at all, let alone a create.
    expect(emulator.counters().total).toBe(0);
    expect(await ws.nodeSets()).toEqual([]);
  });

  it("trusting the CA with `cyclecloud:caCertPath`, `up` creates the nodes and `destroy` removes them", async () => {
    const ws = await stack("tls-trusted", { "cyclecloud:caCertPath": emulator.caCertPath ?? "" });

    const up = expectSuccess(await ws.up());
    expect(up.stdout).toContain("cyclecloud workers: 2/2 ready");
    expect(liveNodes().map((n) => n.record.Status)).toEqual(["Ready", "Ready"]);
    expect(await ws.outputs()).toMatchObject({ readyCount: 2 });

    expectSuccess(await ws.destroy());
    expect(liveNodes()).toEqual([]);
    expect(await ws.nodeSets()).toEqual([]);
  });
});
