import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";

const run = promisify(execFile);
const repo = resolve(__dirname, "../..");
const here = __dirname;

let emu: RunningEmulator;
let work: string;
let text: string;

async function serialize(): Promise<string> {
  const { stdout } = await run(process.execPath, [join(here, "serialize-provider.js")], { cwd: repo });
  return stdout;
}

/** The provider texts of version 0.1.0, as stacks written by it hold them (one function per method). */
const fixtures = join(here, "fixtures");
const OLD_NODE_SET_TEXT = readFileSync(join(fixtures, "node-set-provider-0.1.0.js.txt"), "utf8");
const OLD_IDENTITY_TEXT = readFileSync(join(fixtures, "identity-provider-0.1.0.js.txt"), "utf8");

/** Runs serialized provider text (default: the current one) in a fresh node process started in `cwd`. */
async function roundTrip(cwd: string, providerText = text): Promise<unknown> {
  const textFile = join(work, "provider.js.txt");
  writeFileSync(textFile, providerText);
  const { stdout } = await run(process.execPath, [join(here, "run-serialized-provider.js"), textFile], {
    cwd,
    env: {
      ...process.env,
      CYCLECLOUD_TEST_URL: emu.url,
      CYCLECLOUD_TEST_USER: emu.username,
      CYCLECLOUD_TEST_PASS: emu.password,
      CYCLECLOUD_POLL_MIN_MS: "20",
    },
  });
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "null");
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0, timing: { acquiringMs: 50, preparingMs: 50, terminatingMs: 0 } });
  work = mkdtempSync(join(tmpdir(), "pcc-serialization-"));
  text = await serialize();
}, 60_000);

afterAll(async () => {
  await emu.close();
  rmSync(work, { recursive: true, force: true });
});

describe("the serialized provider", () => {
  it("is small, captures no credentials, and is identical on every run", async () => {
    // One serialized function besides Pulumi's own wrapper (0.1.0 had eight: 2,794 bytes; with a
    // function declaration and `path.join`, 811).
    expect(Buffer.byteLength(text)).toBeLessThan(700);
    expect(text.match(/^function /gm)).toHaveLength(2);
    expect(text).toContain('load("pulumi-cyclecloud/internal/provider-impl").install(this, req)');
    expect(text).toContain('implementation: "nodeSetProvider"');
    expect(text).not.toMatch(/password|CYCLECLOUD_|127\.0\.0\.1/i);
    expect(await serialize()).toBe(text);
  });

  it("runs create, read and delete from a program that depends on the package", async () => {
    const program = join(work, "program");
    mkdirSync(join(program, "node_modules"), { recursive: true });
    writeFileSync(
      join(program, "package.json"),
      JSON.stringify({ name: "program", dependencies: { "pulumi-cyclecloud": "*" } }),
    );
    symlinkSync(repo, join(program, "node_modules", "pulumi-cyclecloud"));
    const result = await roundTrip(program);
    expect(result).toEqual({
      failures: [],
      id: expect.stringMatching(/^pcc-[0-9a-f]{24}$/),
      created: ["Ready", "Ready"],
      read: 2,
      readInputsCount: 2,
    });
    expect(emu.nodes()).toEqual([]);
  }, 60_000);

  it("runs from the package's own root, where a Pulumi.yaml may sit (self-reference)", async () => {
    const result = await roundTrip(repo);
    expect(result).toMatchObject({ failures: [], created: ["Ready", "Ready"], read: 2 });
    expect(emu.nodes()).toEqual([]);
  }, 60_000);
});

describe("the provider text of version 0.1.0, as existing stacks hold it", () => {
  // The engine deletes and reads (refreshes) a resource with the provider text in its state, not
  // the program's: the names that text loads must still work with this version's implementation.
  it("still loads this version's implementation: create, read and delete", async () => {
    const result = await roundTrip(repo, OLD_NODE_SET_TEXT);
    expect(result).toMatchObject({ failures: [], created: ["Ready", "Ready"], read: 2, readInputsCount: 2 });
    expect(emu.nodes()).toEqual([]);
  }, 60_000);

  it("of the identity still makes, keeps and reads identities", async () => {
    const result = await runIdentity(OLD_IDENTITY_TEXT);
    expect(result.a).toMatch(/^urn:pulumi:s::p::t::workers#[0-9a-f]{24}$/);
    expect(result.changes).toBe(false);
    expect(result.read).toEqual({ id: "id", props: { createdFor: "c", identity: "c#t" } });
  }, 60_000);
});

/**
 * Drives identity provider text as the provider host does (`handler()`, then `configure` when the
 * provider has one, then the methods) in a fresh process.
 */
async function runIdentity(
  providerText: string,
): Promise<{ a: string; b: string; changes: boolean; read: unknown }> {
  const textFile = join(work, "identity.js.txt");
  writeFileSync(textFile, providerText);
  const script = [
    "const fs = require('node:fs');",
    "const path = require('node:path');",
    "const pulumiDir = path.dirname(require.resolve('@pulumi/pulumi/package.json'));",
    "const fromString = require(require.resolve('require-from-string', { paths: [pulumiDir] }));",
    "const provider = fromString(fs.readFileSync(process.argv[1], 'utf8')).handler();",
    "(async () => {",
    "  if (provider.configure) await provider.configure({ config: { get: () => undefined } });",
    "  const a = await provider.create({ setUrn: 'urn:pulumi:s::p::t::workers' });",
    "  const b = await provider.create({ setUrn: 'urn:pulumi:s::p::t::workers' });",
    "  const d = await provider.diff('id', a.outs, { setUrn: 'urn:pulumi:s::p::t::renamed' });",
    "  const props = { createdFor: 'c', identity: 'c#t' };",
    "  const read = provider.read ? await provider.read('id', props) : { id: 'id', props };",
    "  if (provider.delete) await provider.delete('id', props);",
    "  console.log(JSON.stringify({ a: a.outs.identity, b: b.outs.identity, changes: d.changes, read }));",
    "})();",
  ].join("\n");
  const { stdout } = await run(process.execPath, ["-e", script, textFile], { cwd: repo });
  return JSON.parse(stdout.trim()) as { a: string; b: string; changes: boolean; read: unknown };
}

describe("the serialized identity provider", () => {
  it("is small, identical on every run, and makes a new token per identity in a fresh process", async () => {
    const { stdout: identityText } = await run(
      process.execPath,
      [join(here, "serialize-provider.js"), "identity"],
      {
        cwd: repo,
      },
    );
    expect(Buffer.byteLength(identityText)).toBeLessThan(700);
    expect(identityText).toContain('implementation: "nodeSetIdentityProvider"');
    const again = await run(process.execPath, [join(here, "serialize-provider.js"), "identity"], {
      cwd: repo,
    });
    expect(again.stdout).toBe(identityText);

    const result = await runIdentity(identityText);
    expect(result.a).toMatch(/^urn:pulumi:s::p::t::workers#[0-9a-f]{24}$/);
    expect(result.b).toMatch(/^urn:pulumi:s::p::t::workers#[0-9a-f]{24}$/);
    expect(result.b).not.toBe(result.a);
    expect(result.changes).toBe(false);
    // Without a `read`, the host returns the state as it is; the same as the implementation's read.
    expect(result.read).toEqual({ id: "id", props: { createdFor: "c", identity: "c#t" } });
  }, 60_000);
});
