/**
 * The capacity plan of a preview (issues 13, 22): `pulumi-cyclecloud plan` on a stack of three
 * sets (one grown, one shrunk, one replaced) gives the numbers the sets' own preflight computed
 * in the preview; a plan that preflight refuses exits 1 and names the binding limit; `--markdown`
 * renders tables; a set with its own `connection` is judged against its own server, not the
 * stack's, so the plan and the preview agree; a failed preview exits 2 with the engine's text.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";
import { CycleCloudClient } from "../../provider/client";
import type { CapacityPlan } from "../../provider/plan";
import { ClusterStatusSchema } from "../../wire/schemas";
import {
  adminPost,
  E2E_TIMING,
  expectSuccess,
  liveNodes,
  mutatingRequests,
  REPO_ROOT,
  run,
  startE2eEmulator,
  output,
  tail,
  Workspace,
} from "./harness";
import { FS, HC, threeSetBuckets } from "../fixtures/three-set-plan";

const PLAN_CLI = join(REPO_ROOT, "dist", "provider", "plan", "cli.js");

let emulator: RunningEmulator;
let ws: Workspace;

/** A program of sets `name: [machineType, count, preflight?]` in hpc/ondemand. */
async function program(sets: Record<string, [string, number, "warn"?]>): Promise<void> {
  const lines = ['import { CycleCloudNodeSet } from "pulumi-cyclecloud";'];
  for (const [name, [machineType, count, preflight]] of Object.entries(sets)) {
    const mode = preflight === undefined ? "" : `, preflight: "${preflight}"`;
    lines.push(
      `new CycleCloudNodeSet("${name}", { cluster: "hpc", nodearray: "ondemand", machineType: "${machineType}", count: ${count}${mode} });`,
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
  it("a stack of a grown, a shrunk and a replaced set: the numbers preflight computed, in the order it judged them", async () => {
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
    expect(answer.buckets.map(({ set: _set, ...row }) => row)).toEqual(
      threeSetBuckets(answer.buckets[0]?.set ?? "?"),
    );
    expect(answer.buckets.map((row) => row.set).sort()).toEqual(["grown", "replaced"]);
    expect(answer.warnings).toEqual([]);
    const table = await plan([]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain("Every increase fits.");
    expect(table.stdout).toMatch(/grown\s+hpc\s+ondemand\s+Standard_Hc44rs\s+update\s+1\s+3/);

    expectSuccess(await ws.pulumi(["up", "--yes", "--skip-preview"]));
    // After: Hc44rs 5 nodes (220 cores), Fs32_v2 1 node (32 cores): (500 - 252) / 44 = 5 more
    // Hc44rs (one more than the last row's 4: the shrink freed 32 cores, which preflight does not
    // count on); 2 more Fs32_v2 (its bucket's maxCount 3).
    expect(await availableCount(HC)).toBe(5);
    expect(await availableCount(FS)).toBe(2);
  });

  it("a plan that preflight refuses exits 1 and names the binding limit, the same JSON run after run; --markdown renders it", async () => {
    // 5 more Hc44rs fit (the nodearray's cores); the set asks for 9 more: short by 4.
    await program({ grown: [HC, 12], shrunk: [FS, 1], replaced: [HC, 2] });
    const result = await plan(["--json"]);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(1);
    // The preview runs preflight in report mode: every step comes, whatever the engine's timing.
    const again = await plan(["--json"]);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe(result.stdout);
    const answer = JSON.parse(result.stdout) as CapacityPlan;
    expect(answer.fits).toBe(false);
    const [row, ...others] = answer.buckets;
    expect(others).toEqual([]);
    expect(row).toMatchObject({
      set: "grown",
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: HC,
      availableNow: 5,
      requested: 9,
      availableAfter: -4,
      bindingLimit: "nodearray maxCoreCount",
      fits: false,
    });
    // The refusal `pulumi preview` gives, with its fix: 3 held + 5 available.
    expect(row?.line).toMatch(
      /^preflight hpc\/ondemand Standard_Hc44rs: \+9 requested, 5 available \(binding limit: nodearray maxCoreCount\) - does not fit: lower `count` to at most 8, /,
    );
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
      "| grown | hpc | ondemand | Standard_Hc44rs | 5 | 9 | -4 | nodearray maxCoreCount | NO |",
    );
    // A line holding backticks is quoted as a code span of a longer fence (sanitized Markdown).
    expect(markdown.stdout).toContain(`> \`\`grown: ${row?.line ?? "?"}\`\``);
  });

  it('the same increase of a set with `preflight: "warn"` is a warning: exit 0, `preflight warns`, no advice to set warn', async () => {
    await program({ grown: [HC, 12, "warn"], shrunk: [FS, 1], replaced: [HC, 2] });
    const result = await plan(["--json"]);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    const answer = JSON.parse(result.stdout) as CapacityPlan;
    expect(answer).toMatchObject({ fits: false, refused: false });
    expect(answer.buckets).toHaveLength(1);
    const [row] = answer.buckets;
    expect(row).toMatchObject({
      set: "grown",
      requested: 9,
      availableNow: 5,
      fits: false,
      preflight: "warn",
    });
    expect(row?.line).toMatch(
      /^preflight hpc\/ondemand Standard_Hc44rs: \+9 requested, 5 available \(binding limit: nodearray maxCoreCount\) - does not fit: lower `count` to at most 8, /,
    );
    expect(row?.line).not.toContain('`preflight: "warn"`');

    const table = await plan([]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain(`grown: preflight warns: ${row?.line ?? "?"}`);
    expect(table.stdout).not.toContain("preflight refuses it");
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
    // The update's preflight (in diff): 2 created, the failed node terminated first (its room
    // reused), so 1 more than the cluster holds now.
    expect(answer.buckets).toEqual([
      expect.objectContaining({
        set: "grown",
        availableNow,
        requested: 1,
        availableAfter: availableNow - 1,
        fits: true,
      }),
    ]);
    expect(answer.buckets[0]?.line).toContain(
      "the update creates 2 node(s) with `count` 3 unchanged: 1 replacing failed",
    );
    expectSuccess(await ws.pulumi(["up", "--yes", "--skip-preview"]));
    expect(await availableCount(HC)).toBe(answer.buckets[0]?.availableAfter);
    expect(availableNow - 1).toBe(5);
  });

  it("leaves the folder's selected stack as it was (a plan of --stack reads, it does not select)", async () => {
    expectSuccess(await ws.pulumi(["stack", "init", "other"]));
    try {
      expect((await plan(["--json"])).code).not.toBe(2);
      expect((await ws.pulumi(["stack", "--show-name"])).stdout.trim()).toBe("other");
      // None selected: none selected after.
      expectSuccess(await ws.pulumi(["stack", "unselect"]));
      expect((await plan(["--json"])).code).not.toBe(2);
      expect((await ws.pulumi(["stack", "--show-name"])).code).not.toBe(0);
    } finally {
      expectSuccess(await ws.pulumi(["stack", "rm", "other", "--yes"]));
      expectSuccess(await ws.pulumi(["stack", "select", ws.stack]));
    }
  });

  it("a preview that fails (a wrong passphrase) exits 2 with the engine's own text, not the passphrase", async () => {
    const wrong = "not-the-e2e-passphrase";
    const result = await run(process.execPath, [PLAN_CLI, "plan", "--stack", ws.stack], {
      cwd: ws.programDir,
      env: { ...ws.env(), PULUMI_CONFIG_PASSPHRASE: wrong },
    });
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^pulumi-cyclecloud plan: pulumi preview failed:\n/);
    expect(result.stderr).toContain("incorrect passphrase");
    expect(result.stderr).not.toContain(wrong);
  });
});

describe("a set with its own connection (secret password from program config), the stack's config on another server", () => {
  let stackServer: RunningEmulator;
  let setServer: RunningEmulator;
  let own: Workspace;

  /** Creates `count` Hc44rs nodes in `server`'s hpc/ondemand, outside Pulumi. */
  async function fill(server: RunningEmulator, count: number): Promise<void> {
    const client = new CycleCloudClient({
      url: server.url,
      username: server.username,
      password: server.password,
    });
    await client.createNodes("hpc", {
      sets: [{ count, nodearray: "ondemand", definition: { machineType: HC } }],
    });
  }

  beforeAll(async () => {
    stackServer = await startE2eEmulator();
    setServer = await startE2eEmulator();
    own = await Workspace.create({ example: "quickstart", label: "plan-own" });
    await own.init(stackServer, { setUrl: setServer.url, setUsername: setServer.username });
    expectSuccess(
      await own.pulumi(["config", "set", "--secret", "setPassword"], { input: setServer.password }),
    );
    await own.writeProgram(
      [
        'import * as pulumi from "@pulumi/pulumi";',
        'import { CycleCloudNodeSet } from "pulumi-cyclecloud";',
        "const config = new pulumi.Config();",
        "const connection = {",
        '  url: config.require("setUrl"),',
        '  username: config.require("setUsername"),',
        '  password: config.requireSecret("setPassword"),',
        "};",
        `new CycleCloudNodeSet("own", { cluster: "hpc", nodearray: "ondemand", machineType: "${HC}", count: 3, connection });`,
        "",
      ].join("\n"),
    );
  });

  afterAll(async () => {
    await own?.dispose();
    await stackServer?.close();
    await setServer?.close();
  });

  const ownPlan = () =>
    run(process.execPath, [PLAN_CLI, "plan", "--stack", own.stack, "--json"], {
      cwd: own.programDir,
      env: own.env(),
    });

  it("only the stack's server is full: plan and preview both fit, with the set's server's numbers", async () => {
    await fill(stackServer, 11);
    const result = await ownPlan();
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    const answer = JSON.parse(result.stdout) as CapacityPlan;
    expect(answer.fits).toBe(true);
    expect(answer.buckets).toEqual([
      expect.objectContaining({
        set: "own",
        machineType: HC,
        availableNow: 11,
        requested: 3,
        availableAfter: 8,
        fits: true,
      }),
    ]);
    const line = answer.buckets[0]?.line ?? "?";
    expect(line).toMatch(
      /^preflight hpc\/ondemand Standard_Hc44rs: \+3 requested, 11 available \(binding limit: .+\) - fits$/,
    );
    const preview = await own.pulumi(["preview"]);
    expect(preview.code, tail(preview)).toBe(0);
    expect(output(preview)).toContain(line);
    for (const text of [result.stdout, result.stderr]) expect(text).not.toContain(setServer.password);
  });

  it("the set's server is full: plan exits 1 and preview refuses, with the same numbers and line", async () => {
    // 9 Hc44rs: the bucket (maxCount 11) and the nodearray's cores ((500 - 396) / 44) leave 2.
    await fill(setServer, 9);
    const result = await ownPlan();
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(1);
    const answer = JSON.parse(result.stdout) as CapacityPlan;
    expect(answer.fits).toBe(false);
    expect(answer.buckets).toEqual([
      expect.objectContaining({ set: "own", availableNow: 2, requested: 3, availableAfter: -1, fits: false }),
    ]);
    const line = answer.buckets[0]?.line ?? "?";
    expect(line).toMatch(
      /^preflight hpc\/ondemand Standard_Hc44rs: \+3 requested, 2 available \(binding limit: .+\) - does not fit: lower `count` to at most 2, /,
    );
    const preview = await own.pulumi(["preview"]);
    expect(preview.code).not.toBe(0);
    expect(output(preview)).toContain(line);
    for (const text of [result.stdout, result.stderr]) expect(text).not.toContain(setServer.password);
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
