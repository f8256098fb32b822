/**
 * The capacity plan of a preview (issue 13): `pulumi-cyclecloud plan` on a stack of three sets
 * (one grown, one shrunk, one replaced) gives exact numbers, and what it says is left after is
 * what the cluster says once `pulumi up` is done; a plan that preflight refuses exits 1 and names
 * the binding limit; `--markdown` renders tables.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";
import type { CapacityPlan } from "../../provider/plan";
import { ClusterStatusSchema } from "../../provider/schemas";
import {
  adminPost,
  E2E_TIMING,
  expectSuccess,
  liveNodes,
  mutatingRequests,
  REPO_ROOT,
  run,
  startE2eEmulator,
  Workspace,
} from "./harness";
import { FS, HC, THREE_SET_BUCKETS } from "../fixtures/three-set-plan";

const PLAN_CLI = join(REPO_ROOT, "dist", "provider", "plan", "cli.js");

let emulator: RunningEmulator;
let ws: Workspace;

/** A program of sets `name: [machineType, count]` in hpc/ondemand. */
async function program(sets: Record<string, [string, number]>): Promise<void> {
  const lines = ['import { CycleCloudNodeSet } from "pulumi-cyclecloud";'];
  for (const [name, [machineType, count]] of Object.entries(sets)) {
    lines.push(
      `new CycleCloudNodeSet("${name}", { cluster: "hpc", nodearray: "ondemand", machineType: "${machineType}", count: ${count} });`,
    );
  }
  await ws.writeProgram(`${lines.join("\n")}\n`);
}

function plan(args: readonly string[]) {
  return run(process.execPath, [PLAN_CLI, "plan", "--stack", ws.stack, ...args], {
    cwd: ws.programDir,
    env: ws.env(),
  });
}

async function statusText(server: RunningEmulator, nodes: boolean): Promise<string> {
  const response = await fetch(`${server.url}/clusters/hpc/status?nodes=${String(nodes)}`, {
    headers: {
      Authorization: `Basic ${Buffer.from(`${server.username}:${server.password}`).toString("base64")}`,
    },
  });
  expect(response.status).toBe(200);
  return response.text();
}

async function availableCount(machineType: string): Promise<number> {
  const status = ClusterStatusSchema.parse(JSON.parse(await statusText(emulator, false)));
  const bucket = status.nodearrays[0]?.buckets.find((b) => b.definition?.machineType === machineType);
  if (bucket === undefined) throw new Error(`no bucket ${machineType}`);
  return bucket.availableCount;
}

beforeAll(async () => {
  emulator = await startE2eEmulator();
  ws = await Workspace.create({ example: "quickstart", label: "plan" });
  await ws.init(emulator);
  await program({ grown: [HC, 1], shrunk: [FS, 2], replaced: [FS, 1] });
  expectSuccess(await ws.pulumi(["up", "--yes", "--skip-preview"]));
});

afterAll(async () => {
  await ws?.dispose();
  await emulator?.close();
});

describe("pulumi-cyclecloud plan", () => {
  it("a stack of a grown, a shrunk and a replaced set: exact numbers, and what is left after is what the cluster has after up", async () => {
    // Before: Hc44rs 1 node (44 cores), Fs32_v2 3 nodes (96 cores): the nodearray's 500 cores
    // leave (500 - 140) / 44 = 8 more Hc44rs; the Fs32_v2 bucket is full (maxCount 3).
    await program({ grown: [HC, 3], shrunk: [FS, 1], replaced: [HC, 2] });
    const result = await plan(["--json"]);
    expect(result.code, result.stderr).toBe(0);
    const answer = JSON.parse(result.stdout) as CapacityPlan;
    expect(answer.stack).toBe(ws.stack);
    expect(answer.fits).toBe(true);
    expect(answer.changes.map(({ urn: _urn, ...change }) => change)).toEqual([
      {
        name: "grown",
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: HC,
        action: "update",
        from: 1,
        to: 3,
      },
      {
        name: "replaced",
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: HC,
        action: "replace",
        from: 1,
        to: 2,
      },
      {
        name: "shrunk",
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: FS,
        action: "update",
        from: 2,
        to: 1,
      },
    ]);
    // After: Hc44rs 5 nodes (220 cores), Fs32_v2 1 node (32 cores): (500 - 252) / 44 = 5 more
    // Hc44rs; 2 more Fs32_v2 (its bucket's maxCount 3).
    expect(answer.buckets).toEqual(THREE_SET_BUCKETS);
    const table = await plan([]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain("Every increase fits.");
    expect(table.stdout).toMatch(/grown\s+hpc\s+ondemand\s+Standard_Hc44rs\s+update\s+1\s+3/);

    expectSuccess(await ws.pulumi(["up", "--yes", "--skip-preview"]));
    expect(await availableCount(HC)).toBe(5);
    expect(await availableCount(FS)).toBe(2);
  });

  it("a plan that preflight refuses exits 1 and names the binding limit, the same JSON run after run; --markdown renders it", async () => {
    // 5 more Hc44rs fit (the nodearray's cores); the set asks for 9 more: short by 4.
    await program({ grown: [HC, 12], shrunk: [FS, 1], replaced: [HC, 2] });
    const result = await plan(["--json"]);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(1);
    // The preview runs with preflight off: every step comes, whatever the engine's timing.
    const again = await plan(["--json"]);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe(result.stdout);
    const answer = JSON.parse(result.stdout) as CapacityPlan;
    expect(answer.fits).toBe(false);
    expect(answer.buckets).toEqual([
      {
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: HC,
        availableNow: 5,
        requested: 9,
        availableAfter: -4,
        bindingLimit: "nodearray maxCoreCount",
        fits: false,
      },
    ]);
    expect(answer.changes.map(({ name, action, from, to }) => [name, action, from, to])).toEqual([
      ["grown", "update", 3, 12],
      ["replaced", "same", 2, 2],
      ["shrunk", "same", 1, 1],
    ]);

    const markdown = await plan(["--markdown"]);
    expect(markdown.code).toBe(1);
    expect(markdown.stdout).toContain("### Capacity plan of stack");
    expect(markdown.stdout).toContain(
      "| node set | cluster | nodearray | machine type | action | from | to |",
    );
    expect(markdown.stdout).toContain("| grown | hpc | ondemand | Standard_Hc44rs | update | 3 | 12 |");
    expect(markdown.stdout).toContain(
      "| hpc | ondemand | Standard_Hc44rs | 5 | 9 | -4 | nodearray maxCoreCount | NO |",
    );
  });

  it("an error other than capacity exits 2 with one clean line", async () => {
    const result = await plan(["--json", "--stack", "no-such-stack"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      /^pulumi-cyclecloud plan: no stack 'no-such-stack' in \S+: list the stacks with `pulumi stack ls` and give one of them \(--stack NAME\)\n$/,
    );
  });

  it("an update that re-creates a failed and a missing node (count unchanged) requests them; up agrees", async () => {
    // State as the first test's up left it: grown Hc44rs 3, shrunk Fs32_v2 1, replaced Hc44rs 2.
    await program({ grown: [HC, 3], shrunk: [FS, 1], replaced: [HC, 2] });
    const grown = (await ws.nodeSets()).find((set) => set.urn.endsWith("::grown"));
    const names = ((grown?.outputs?.["nodes"] ?? []) as { name: string }[]).map((node) => node.name);
    expect(names).toHaveLength(3);
    await adminPost(emulator, "/fail-nodes", { names: [names[0]] });
    await adminPost(emulator, "/remove-nodes", { names: [names[1]] });
    expectSuccess(await ws.pulumi(["refresh", "--yes", "--skip-preview"]));
    const availableNow = await availableCount(HC);

    const result = await plan(["--json"]);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    const answer = JSON.parse(result.stdout) as CapacityPlan;
    expect(answer.changes.find((change) => change.name === "grown")).toMatchObject({
      action: "update",
      from: 3,
      to: 3,
    });
    const bucket = answer.buckets.find((b) => b.machineType === HC);
    // The failed node is terminated first (its room freed), then 2 are created.
    expect(bucket).toMatchObject({ availableNow, requested: 2, fits: true });
    expectSuccess(await ws.pulumi(["up", "--yes", "--skip-preview"]));
    expect(await availableCount(HC)).toBe(bucket?.availableAfter);
    expect(bucket?.availableAfter).toBe(5);
  });
});

describe("examples/ci: the pipeline program against a replica of production", () => {
  let dir: string;
  let replica: RunningEmulator | undefined;
  const pipeline = (args: readonly string[], env: Record<string, string> = {}) =>
    run(process.execPath, [join(REPO_ROOT, "examples", "ci", "bin", "pipeline.js"), ...args], {
      cwd: REPO_ROOT,
      env: { ...ws.env(), ...env },
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "plan-e2e-"));
    expectSuccess(
      await run(
        process.execPath,
        [
          join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"),
          "-p",
          join(REPO_ROOT, "examples", "ci"),
        ],
        { cwd: REPO_ROOT },
      ),
    );
  });
  afterAll(async () => {
    await replica?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("the snapshot round trip: a replica of production answers the same status", async () => {
    const snapshot = await statusText(emulator, true);
    expect(JSON.parse(snapshot)).toMatchObject({ nodes: expect.arrayContaining([expect.anything()]) });
    const file = join(dir, "hpc.json");
    await writeFile(file, snapshot);
    replica = await startEmulator({ fromStatus: { hpc: file }, timing: E2E_TIMING });
    expect(JSON.parse(await statusText(replica, true))).toEqual(JSON.parse(snapshot));
  });

  const replicaEnv = () => {
    if (replica === undefined) throw new Error("the round trip test starts the replica");
    // Not production's passphrase: the rehearsal decrypts nothing of production.
    return {
      REPLICA_URL: replica.url,
      REPLICA_USERNAME: replica.username,
      REPLICA_PASSWORD: replica.password,
      PULUMI_CONFIG_PASSPHRASE: "the rehearsal's own passphrase",
    };
  };
  const rehearse = (stack: string) =>
    pipeline(
      ["rehearse", "--project", ws.programDir, "--stack", stack, "--config-from", "rehearsal"],
      replicaEnv(),
    );

  it("rehearse refuses an existing stack (production's) and a config holding a secret, touching nothing", async () => {
    if (replica === undefined) throw new Error("the round trip test starts the replica");
    const requests = [await mutatingRequests(emulator), await mutatingRequests(replica)];
    const settings = join(ws.programDir, "Pulumi.rehearsal.yaml");
    await writeFile(settings, 'config:\n  cyclecloud:timeoutSeconds: "30"\n');
    const existing = await rehearse(ws.stack);
    expect(existing.code).toBe(2);
    expect(existing.stderr).toBe(
      `rehearse: stack ${ws.stack} exists; a rehearsal makes its own stack and removes it, so name a new one ` +
        `(e.g. rehearsal-pr-<number>) or remove the leftover (pulumi stack rm ${ws.stack})\n`,
    );
    await writeFile(settings, "config:\n  cyclecloud:timeoutSeconds:\n    secure: v1:AAAA\n");
    const secret = await rehearse("rehearsal-pr-7");
    expect(secret.code).toBe(2);
    expect(secret.stderr).toBe(
      "rehearse: Pulumi.rehearsal.yaml holds the secret cyclecloud:timeoutSeconds; a rehearsal's config must be " +
        "plain (only its own stack could decrypt it): give it a plain stand-in value\n",
    );
    expect([await mutatingRequests(emulator), await mutatingRequests(replica)]).toEqual(requests);
    expectSuccess(await ws.pulumi(["stack", "select", ws.stack]));
    expect((await ws.pulumi(["stack", "ls", "--json"])).stdout).not.toContain("rehearsal-pr-7");
  }, 120_000);

  it("rehearse on the replica touches nothing in production; plan, then deploy, on production", async () => {
    if (replica === undefined) throw new Error("the round trip test starts the replica");
    // Production holds Hc44rs 5 (grown 3, replaced 2) and Fs32_v2 1; the change shrinks two sets.
    await program({ grown: [HC, 1], shrunk: [FS, 1], replaced: [HC, 1] });
    await writeFile(
      join(ws.programDir, "Pulumi.rehearsal.yaml"),
      'config:\n  cyclecloud:timeoutSeconds: "30"\n',
    );
    expectSuccess(await ws.pulumi(["stack", "select", ws.stack]));
    const replicaNodes = (await liveNodes(replica)).map((n) => n.record.Name);
    const productionRequests = await mutatingRequests(emulator);
    const rehearsal = await rehearse("rehearsal-pr-7");
    expectSuccess(rehearsal);
    expect(rehearsal.stdout).toMatch(
      /^rehearsal rehearsal-pr-7: up created (\d+) resource\(s\), destroy deleted \1; stack removed\n$/,
    );
    expect(await mutatingRequests(emulator)).toBe(productionRequests);
    // The replica created and then terminated the rehearsal's 3 nodes: only production's remain.
    expect(await mutatingRequests(replica)).toBeGreaterThanOrEqual(6);
    expect((await liveNodes(replica)).map((n) => n.record.Name)).toEqual(replicaNodes);
    // The rehearsal stack is gone and the stack selected before is selected again.
    expect((await ws.pulumi(["stack", "--show-name"])).stdout).toBe(`${ws.stack}\n`);
    expect((await ws.pulumi(["stack", "ls", "--json"])).stdout).not.toContain("rehearsal-pr-7");

    const out = join(dir, "plan.md");
    const planned = await pipeline(["plan", "--project", ws.programDir, "--stack", ws.stack, "--out", out]);
    expectSuccess(planned);
    expect(planned.stdout).toContain("| grown | hpc | ondemand | Standard_Hc44rs | update | 3 | 1 |");
    expect(await mutatingRequests(emulator)).toBe(productionRequests);

    expectSuccess(await pipeline(["deploy", "--project", ws.programDir, "--stack", ws.stack]));
    // Hc44rs 2 (88 cores), Fs32_v2 1 (32 cores): (500 - 120) / 44 = 8 more Hc44rs.
    expect(await availableCount(HC)).toBe(8);
    // Four engine runs (rehearsal up and destroy, plan, deploy's plan and up).
  }, 600_000);
});
