/**
 * Secrets hygiene (issue 5, part 4): the CycleCloud password, and the Basic credentials carrying it,
 * appear nowhere: not in the serialized provider, not in any error (message, stack, inspection,
 * JSON), not in what the engine records, not in what the provider prints, not in the emulator's
 * logs. The long-form proof is the campaign (test/reliability/campaign.js checks every message,
 * output line, state and emulator log line of hundreds of faulted steps; campaign.test.ts runs it).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { inspect, promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { NodeSetPartialFailure } from "../../provider/engine/node-set-provider";
import type { NodeSetState } from "../../provider/core/node-set-state";
import type { StackConfig, StandInServer } from "./helpers";
import {
  BASIC,
  PASSWORD,
  captureProviderOutput,
  closedPortUrl,
  configureProvider,
  fastProviderTiming,
  htmlServer,
  provider,
  selfSignedServer,
  silentServer,
  stackConfigFor,
  startReliabilityEmulator,
} from "./helpers";

const run = promisify(execFile);
const repo = resolve(__dirname, "../..");

let emu: RunningEmulator;
const emulatorLog: string[] = [];
let https: StandInServer;
let html: StandInServer;
let silent: StandInServer;
let closed: string;
let output: string[] = [];
let serial = 0;

beforeAll(async () => {
  fastProviderTiming(1);
  emu = await startReliabilityEmulator((line) => emulatorLog.push(line));
  https = await selfSignedServer();
  html = await htmlServer();
  silent = await silentServer();
  closed = await closedPortUrl();
});

afterAll(async () => {
  await Promise.all([emu.close(), https.close(), html.close(), silent.close()]);
});

beforeEach(async () => {
  emu.reset();
  output = captureProviderOutput();
  await configureProvider(stackConfigFor(emu));
});

/** Every way the value could be shown: as text, stack, Node's inspection, JSON. */
function renderings(value: unknown): string[] {
  const shown = [
    String(value),
    inspect(value, { depth: null, showHidden: true }),
    JSON.stringify(value) ?? "",
  ];
  if (value instanceof Error) {
    shown.push(value.message, String(value.stack), inspect(value.cause, { depth: null, showHidden: true }));
  }
  if (value instanceof NodeSetPartialFailure)
    shown.push(JSON.stringify(value.properties), value.reasons.join("\n"));
  return shown;
}

function expectNoSecret(texts: readonly string[]): void {
  for (const text of texts) {
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(BASIC);
  }
}

function declare(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  serial += 1;
  return {
    identity: `reliability/secrets/set${serial}`,
    cluster: "hpc",
    nodearray: "ondemand",
    count: 2,
    machineType: "Standard_Fs32_v2",
    ...overrides,
  };
}

/** What a failing `pulumi up` of one set shows: check failures, or create's error. */
async function failingUp(news: Record<string, unknown>, config: StackConfig = {}): Promise<unknown> {
  await configureProvider({ ...stackConfigFor(emu), ...config });
  const checked = await provider.check({}, news);
  if (checked.failures !== undefined && checked.failures.length > 0) return checked.failures;
  return provider.create(checked.inputs).then(
    (result) => result,
    (error: unknown) => error,
  );
}

interface FailingUp {
  name: string;
  inject?: () => void;
  news?: Record<string, unknown>;
  config?: () => StackConfig;
}

/** Failures of every kind a user can meet, with the password configured (or misplaced in the URL). */
const FAILURES: FailingUp[] = [
  {
    name: "503 on every status read (preflight)",
    inject: () => void emu.injectFault({ route: "status", count: 2, status: 503 }),
  },
  {
    name: "a create refused with 409 (preflight off)",
    news: { machineType: "Standard_HC44rs", preflight: "off" },
  },
  {
    name: "a partial add (a partial failure, whose properties the engine records)",
    inject: () => void emu.injectFault({ route: "create", maxAdded: 1 }),
  },
  {
    name: "a lost create answer followed by a listing outage",
    inject: () => {
      emu.injectFault({ route: "create", reset: "after" });
      emu.injectFault({ route: "nodes", count: 2, status: 503 });
    },
  },
  {
    name: "a self-signed server",
    news: { preflight: "off" },
    config: () => ({ "cyclecloud:url": https.url }),
  },
  { name: "an unreachable server", config: () => ({ "cyclecloud:url": closed }) },
  {
    name: "a server answering HTML",
    news: { preflight: "off" },
    config: () => ({ "cyclecloud:url": html.url }),
  },
  {
    name: "a server that never answers",
    config: () => ({ "cyclecloud:url": silent.url, "cyclecloud:timeoutSeconds": "0.2" }),
  },
  {
    name: "a URL carrying the password",
    config: () => ({ "cyclecloud:url": `https://admin:${PASSWORD}@cyclecloud.example.com` }),
  },
  {
    name: "a URL carrying the password (preflight off)",
    news: { preflight: "off" },
    config: () => ({ "cyclecloud:url": `http://admin:${PASSWORD}@127.0.0.1:1` }),
  },
];

describe("the password appears nowhere", () => {
  it("is not in the serialized provider, even after the provider process authenticated with it", async () => {
    const script = join(__dirname, "serialize-after-use.js");
    if (!existsSync(join(repo, "dist/provider/engine/provider-shim.js"))) {
      throw new Error("dist/ is missing: run `npm run build` first (npm test does)");
    }
    const { stdout } = await run(process.execPath, [script], {
      cwd: repo,
      env: { ...process.env, RELIABILITY_PASSWORD: PASSWORD },
    });
    const { used, text } = JSON.parse(stdout) as { used: boolean; text: string };
    expect(used).toBe(true);
    expect(text).toContain("nodeSetProviderShim");
    expectNoSecret([text]);
    expect(text).not.toMatch(/password|CYCLECLOUD_|127\.0\.0\.1/i);
  }, 60_000);

  it.each(FAILURES)("is not in what a failed up shows: $name", async (entry) => {
    entry.inject?.();
    const failure = await failingUp(declare(entry.news ?? {}), entry.config?.() ?? {});
    expect(failure).not.toHaveProperty("outs");
    expectNoSecret([...renderings(failure), ...output]);
  });

  it("is not in errors of refresh and destroy, nor in the states they work from", async () => {
    const news = declare({ count: 2 });
    const checked = await provider.check({}, news);
    const outs = (await provider.create(checked.inputs)).outs as NodeSetState;
    emu.injectFault({ route: "nodes", count: 2, status: 500 });
    const readError = await provider.read(outs.baseRequestId, outs).catch((e: unknown) => e);
    expect(readError).toBeInstanceOf(Error);
    emu.injectFault({ route: "terminate", count: 2, reset: "before" });
    const deleteError = await provider.delete(outs.baseRequestId, outs).catch((e: unknown) => e);
    expect(deleteError).toBeInstanceOf(Error);
    const read = await provider.read(outs.baseRequestId, outs);
    await provider.delete(outs.baseRequestId, outs);
    expectNoSecret([
      ...renderings(readError),
      ...renderings(deleteError),
      JSON.stringify(checked),
      JSON.stringify(outs),
      JSON.stringify(read),
      ...output,
    ]);
  });

  it("is not in the emulator's request log nor in its admin request list", async () => {
    const before = emulatorLog.length;
    const checked = await provider.check({}, declare({ count: 1 }));
    const outs = (await provider.create(checked.inputs)).outs as NodeSetState;
    await provider.delete(outs.baseRequestId, outs);
    await configureProvider({ ...stackConfigFor(emu), "cyclecloud:password": `${PASSWORD}-wrong` });
    await provider.check({}, declare({ count: 1 }));
    const requests = await (await fetch(`${emu.adminUrl}/requests`)).text();
    const lines = emulatorLog.slice(before);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^POST \/clusters\/hpc\/nodes\/create 202/),
        expect.stringContaining(" 401 "),
      ]),
    );
    expectNoSecret([...lines, requests]);
  });

  it("is not in anything the provider prints while it retries, adopts and heals", async () => {
    emu.injectFault({ route: "status", status: 503, retryAfter: 0 });
    emu.injectFault({ route: "create", reset: "after" });
    emu.injectFault({ route: "nodes", status: 429 });
    const news = declare({ count: 2 });
    const checked = await provider.check({}, news);
    const outs = (await provider.create(checked.inputs)).outs as NodeSetState;
    emu.injectFault({ route: "terminate", status: 502 });
    const shrunk = (
      await provider.update(
        outs.baseRequestId,
        outs,
        (await provider.check(checked.inputs, { ...news, count: 1 })).inputs,
      )
    ).outs as NodeSetState;
    await provider.delete(shrunk.baseRequestId, shrunk);
    expect(output).toEqual(
      expect.arrayContaining([expect.stringContaining("retrying in"), expect.stringContaining("adopting")]),
    );
    expectNoSecret(output);
  });
});
