/**
 * Issue 24, item 3: every number the emulator accepts is bounded (an error names the field), name
 * expansion ends and never repeats a name, `__proto__`/`constructor`/`prototype` keys are refused
 * in configs and snapshots, failed Basic authentication is paced per client, and a closed stdout
 * silences the CLI's log instead of crashing it.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { checkEmulatorConfig } from "../../emulator/config/config";
import { replicaFromStatus } from "../../emulator/config/replica";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";
import { api, basicAuth, errorMessage, useEmulator } from "./helpers";

const CREATE = "/clusters/hpc/nodes/create";

/** ms until `GET /__emulator/health` answers 200. */
async function healthLatency(emulator: RunningEmulator): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${emulator.adminUrl}/health`, { signal: AbortSignal.timeout(2000) });
  expect(response.status).toBe(200);
  await response.text();
  return performance.now() - started;
}

describe("bounded API inputs", () => {
  const env = useEmulator({ config: wideConfig() });

  test("a nameOffset near 2^53 is refused at once, naming the field; the emulator stays live", async () => {
    await healthLatency(env.emulator); // connection and first-call warm-up
    const reply = await env.http.post(CREATE, {
      sets: [{ count: 3, nodearray: "wide", nameFormat: "n-%d", nameOffset: 2 ** 53 - 2 }],
    });
    expect([reply.status, errorMessage(reply)]).toEqual([
      409,
      "sets[0].nameOffset: must be at most 1000000000, not 9007199254740990",
    ]);
    expect(await healthLatency(env.emulator)).toBeLessThan(100);
    expect(env.emulator.nodes()).toEqual([]);
  });

  test("the largest nameOffset names count distinct nodes from it", async () => {
    const reply = await env.http.post(CREATE, {
      sets: [{ count: 3, nodearray: "wide", nameFormat: "n-%d", nameOffset: 1_000_000_000 }],
    });
    expect(reply.status).toBe(202);
    expect(env.emulator.nodes().map((node) => node.record.Name)).toEqual([
      "n-1000000000",
      "n-1000000001",
      "n-1000000002",
    ]);
  });

  test("names skip taken ones and never repeat within a request", async () => {
    await env.http.post(CREATE, {
      sets: [{ count: 1, nodearray: "wide", nameFormat: "x-%d", nameOffset: 2 }],
    });
    const reply = await env.http.post(CREATE, {
      sets: [{ count: 3, nodearray: "wide", nameFormat: "x-%d" }],
    });
    expect(reply.status).toBe(202);
    expect(env.emulator.nodes().map((node) => node.record.Name)).toEqual(["x-2", "x-1", "x-3", "x-4"]);
  });

  test.each([
    [
      { sets: [{ count: 10_001, nodearray: "wide" }] },
      "sets[0].count: must be at most 10000 (nodes one request may add), not 10001",
    ],
    [
      {
        sets: [
          { count: 6000, nodearray: "wide" },
          { count: 6000, nodearray: "wide" },
        ],
      },
      "sets: the counts add up to 12000; one request may add at most 10000 nodes",
    ],
    [
      { sets: [{ count: 1, nodearray: "wide", nameFormat: `${"a".repeat(300)}-%d` }] },
      "sets[0].nameFormat: must be at most 256 characters, not 303",
    ],
    [
      { sets: Array.from({ length: 101 }, () => ({ count: 1, nodearray: "wide" })) },
      "sets: at most 100 sets per request, not 101",
    ],
  ])("a create over a bound is a 409 naming the field (%#)", async (body, message) => {
    const reply = await env.http.post(CREATE, body);
    expect([reply.status, errorMessage(reply)]).toEqual([409, message]);
    expect(env.emulator.nodes()).toEqual([]);
  });

  test("scale totals are bounded, and one scale adds at most 10000 nodes", async () => {
    const huge = await env.http.post("/clusters/hpc/scale/wide?totalCoreCount=1000000001");
    expect([huge.status, errorMessage(huge)]).toEqual([
      409,
      "Query parameter totalCoreCount must be at most 1000000000, not 1000000001",
    ]);
    const many = await env.http.post("/clusters/hpc/scale/wide?totalNodeCount=1000001");
    expect([many.status, errorMessage(many)]).toEqual([
      409,
      "Query parameter totalNodeCount must be at most 1000000, not 1000001",
    ]);
    const reply = await env.http.post("/clusters/hpc/scale/wide?totalNodeCount=20000");
    expect(reply.status).toBe(202);
    expect(reply.json).toMatchObject({ sets: [{ added: 10_000 }] });
    expect(await healthLatency(env.emulator)).toBeLessThan(100);
  });
});

describe("bounded admin inputs", () => {
  const env = useEmulator();

  test.each([
    ["/fail-next-nodes", { count: 1_000_000_000 }, "count: Too big: expected number to be <=10000"],
    [
      "/faults",
      { route: "status", status: 500, count: 10_001 },
      "count: Too big: expected number to be <=10000",
    ],
    ["/faults", { route: "create", maxAdded: 10_001 }, "maxAdded: Too big: expected number to be <=10000"],
    [
      "/faults",
      { route: "status", status: 503, retryAfter: 86_401 },
      "retryAfter: Too big: expected number to be <=86400",
    ],
    ["/timing", { acquiringMs: 86_400_001 }, "acquiringMs: Too big: expected number to be <=86400000"],
    [
      "/capacity",
      { cluster: "hpc", maxCount: 1_000_001 },
      "maxCount: Too big: expected number to be <=1000000",
    ],
    [
      "/quotas",
      { cluster: "hpc", region: "westus2", coreCount: 1e12 },
      "coreCount: Too big: expected number to be <=1000000000",
    ],
    [
      "/quotas",
      { cluster: "hpc", family: "__proto__", coreCount: 1 },
      'family: "__proto__" is not allowed as a name or key (it would reach JavaScript\'s Object.prototype)',
    ],
  ])("POST %s over a bound is a 400 naming the field", async (path, body, message) => {
    const reply = await env.http.admin("POST", path, body);
    expect([reply.status, reply.json]).toEqual([400, { error: message }]);
    expect(({} as Record<string, unknown>)["coreCount"]).toBeUndefined();
  });

  test("armed failures are bounded in all: 10000, then a 400 saying how to clear them", async () => {
    expect((await env.http.admin("POST", "/fail-next-nodes", { count: 10_000 })).json).toEqual({
      pending: 10_000,
    });
    const more = await env.http.admin("POST", "/fail-next-nodes", { count: 1 });
    expect([more.status, more.json]).toEqual([
      400,
      {
        error:
          "count: at most 10000 failures can be armed at once; 10000 already are (POST /__emulator/reset clears them)",
      },
    ]);
  });
});

describe("keys that reach Object.prototype", () => {
  const FORBIDDEN = `is not allowed as a name or key (it would reach JavaScript's Object.prototype)`;

  test("a config with a __proto__ key, or a region named constructor, is refused naming the path", () => {
    const config = JSON.parse(
      '{"clusters":[{"name":"c","maxCount":1,"maxCoreCount":1,"nodearrays":[],"quotas":{"families":{"__proto__":{"coreCount":1}}}}]}',
    ) as unknown;
    expect(() => checkEmulatorConfig(config, "emulator config c.json")).toThrow(
      `Invalid emulator config c.json: clusters[0].quotas.families.__proto__: "__proto__" ${FORBIDDEN}`,
    );
    const region = wideConfig();
    const nodearray = region.clusters[0]?.nodearrays[0];
    expect(nodearray).toBeDefined();
    if (nodearray !== undefined) {
      nodearray.region = "constructor";
    }
    expect(() => checkEmulatorConfig(region, "c.json")).toThrow(
      `Invalid c.json: clusters[0].nodearrays[0].region: "constructor" ${FORBIDDEN}`,
    );
  });

  test("a snapshot whose nodearray Region is __proto__ is refused and pollutes nothing", async () => {
    const answer = {
      maxCount: 1,
      maxCoreCount: 4,
      nodearrays: [
        {
          name: "a",
          maxCount: 1,
          maxCoreCount: 4,
          nodearray: { Region: "__proto__" },
          buckets: [
            {
              bucketId: "b1",
              valid: true,
              definition: { machineType: "D4" },
              maxCount: 1,
              maxCoreCount: 4,
              activeCount: 0,
              activeCoreCount: 0,
              availableCount: 1,
              availableCoreCount: 4,
              maxPlacementGroupSize: 1,
              regionalQuotaCoreCount: 10,
              regionalConsumedCoreCount: 0,
              placementGroups: [],
              virtualMachine: { vcpuCount: 4, memory: 8, infiniband: false },
            },
          ],
        },
      ],
      nodes: [],
    };
    expect(() => replicaFromStatus("c", answer, "s.json")).toThrow(
      `Invalid status snapshot s.json: nodearrays[0].nodearray.Region: "__proto__" ${FORBIDDEN}`,
    );
    const folder = await mkdtemp(join(tmpdir(), "emulator-limits-"));
    try {
      const file = join(folder, "s.json");
      await writeFile(file, JSON.stringify(answer));
      await expect(startEmulator({ fromStatus: { c: file } })).rejects.toThrow(
        `nodearrays[0].nodearray.Region: "__proto__" ${FORBIDDEN}`,
      );
      const keyed = JSON.stringify(answer).replace('"Region":"__proto__"', '"__proto__":{"x":1}');
      await writeFile(file, keyed);
      await expect(startEmulator({ fromStatus: { c: file } })).rejects.toThrow(
        `Invalid status snapshot ${file}: nodearrays[0].nodearray.__proto__: "__proto__" ${FORBIDDEN}`,
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
    expect(Object.prototype).not.toHaveProperty("consumedCoreCount");
    expect(Object.prototype).not.toHaveProperty("x");
  });
});

describe("pacing of failed authentication", () => {
  test("after freeFailures, the client waits between attempts (429 with Retry-After); a success resets", async () => {
    const emulator = await startEmulator({
      authPacing: { freeFailures: 2, initialDelayMs: 400, maxDelayMs: 800 },
    });
    try {
      const http = api(emulator);
      const wrong = { auth: false, headers: { Authorization: basicAuth("admin", "guess") } };
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await http.get("/clusters/hpc/status", wrong)).status);
      }
      // The third failure starts a 400 ms wait: even the right password is not checked during it.
      const early = await http.get("/clusters/hpc/status");
      expect([...statuses, early.status, early.headers.get("retry-after"), errorMessage(early)]).toEqual([
        401,
        401,
        401,
        429,
        "1",
        "Too many failed authentication attempts from this client: retry in 1 s",
      ]);
      await new Promise((resolve) => setTimeout(resolve, 450));
      expect((await http.get("/clusters/hpc/status", wrong)).status).toBe(401);
      // The fourth failure doubles the wait (800 ms): at 450 ms it still holds.
      await new Promise((resolve) => setTimeout(resolve, 450));
      expect((await http.get("/clusters/hpc/status")).status).toBe(429);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect((await http.get("/clusters/hpc/status")).status).toBe(200);
      // Counted from zero again.
      expect((await http.get("/clusters/hpc/status", wrong)).status).toBe(401);
      expect((await http.get("/clusters/hpc/status", wrong)).status).toBe(401);
      expect((await http.get("/clusters/hpc/status")).status).toBe(200);
    } finally {
      await emulator.close();
    }
  });

  test("on by default: a burst of wrong guesses is answered 401 ten times, then the 11th starts the wait", async () => {
    const emulator = await startEmulator();
    try {
      const http = api(emulator);
      const wrong = { auth: false, headers: { Authorization: basicAuth("admin", "guess") } };
      const statuses: number[] = [];
      for (let i = 0; i < 13; i++) {
        statuses.push((await http.get("/clusters/hpc/status", wrong)).status);
      }
      expect(statuses).toEqual([...Array<number>(11).fill(401), 429, 429]);
    } finally {
      await emulator.close();
    }
  });

  test("authPacing: false answers every guess", async () => {
    const emulator = await startEmulator({ authPacing: false });
    try {
      const http = api(emulator);
      const wrong = { auth: false, headers: { Authorization: basicAuth("admin", "guess") } };
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) {
        statuses.push((await http.get("/clusters/hpc/status", wrong)).status);
      }
      expect(statuses).toEqual(Array<number>(20).fill(401));
    } finally {
      await emulator.close();
    }
  });
});

describe("the CLI with a closed stdout", () => {
  const CLI = join(process.cwd(), "dist", "emulator", "cli.js");
  const children: ReturnType<typeof spawn>[] = [];
  afterAll(() => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
      }
    }
  });

  test("keeps serving after stdout is closed (EPIPE), and stops cleanly on SIGTERM", async () => {
    expect(existsSync(CLI), `${CLI} is missing: run npm run build first`).toBe(true);
    const child = spawn(process.execPath, [CLI, "--port", "0", "--instant", "--no-auth-pacing"], {
      env: { PATH: process.env["PATH"] ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const firstLine = await new Promise<string>((resolve) => {
      let text = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        text += chunk.toString("utf8");
        const newline = text.indexOf("\n");
        if (newline >= 0) {
          resolve(text.slice(0, newline));
        }
      });
    });
    // As `| head -1` does: read one line, then close the pipe.
    child.stdout?.destroy();
    const match = /listening on (\S+) \(username (\S+), password (\S+)\)/.exec(firstLine);
    const [, url = "", username = "", password = ""] = match ?? [];
    const auth = { Authorization: basicAuth(username, password) };
    // Each request writes a log line into the closed pipe.
    for (let i = 0; i < 20; i++) {
      expect((await fetch(`${url}/clusters/hpc/status`, { headers: auth })).status).toBe(200);
    }
    expect((await fetch(`${url}/__emulator/health`)).status).toBe(200);
    expect(child.exitCode).toBeNull();
    child.kill("SIGTERM");
    expect([await exited, stderr]).toEqual([0, ""]);
  });
});

/** The seed's cluster `hpc` with a nodearray `wide` that fits 100000 nodes. */
function wideConfig() {
  return {
    clusters: [
      {
        name: "hpc",
        maxCount: 1_000_000,
        maxCoreCount: 1_000_000,
        quotas: { regions: { westus2: { coreCount: 1_000_000 } } },
        nodearrays: [
          {
            name: "wide",
            maxCount: 1_000_000,
            maxCoreCount: 1_000_000,
            region: "westus2",
            buckets: [{ machineType: "Standard_F1", vcpuCount: 1, memory: 2, maxCount: 1_000_000 }],
          },
        ],
      },
    ],
  };
}
