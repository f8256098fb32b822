/**
 * Hostile text in successful answers (a node's `StatusMessage` and `Name`, a nodearray's name, a
 * bucket's machine type and `invalidReason`), put in by a proxy that rewrites the emulator's
 * answers, as each output shows it: a progress line, a warning, a check failure and a thrown error.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { HOSTILE } from "../fixtures/hostile-text";
import { declare, freshProvider, output, provider, startTestEmulator } from "./harness";
import type { Rewrite, RewritingProxy } from "./rewriting-proxy";
import { startRewritingProxy } from "./rewriting-proxy";

let emu: RunningEmulator;
let proxy: RewritingProxy;

beforeAll(async () => {
  emu = await startTestEmulator();
  proxy = await startRewritingProxy(emu.url);
});
afterAll(async () => {
  await proxy.close();
  await emu.close();
});
beforeEach(async () => {
  emu.reset();
  proxy.rewrite = () => undefined;
  freshProvider();
  const config: Record<string, string> = {
    "cyclecloud:url": proxy.url,
    "cyclecloud:username": emu.username,
    "cyclecloud:password": emu.password,
  };
  await provider.configure({
    config: { get: (key: string) => config[key], require: (key: string) => config[key] ?? "" },
  });
});

interface StatusBody {
  nodearrays: { name: string; buckets: Record<string, unknown>[] }[];
}

/** Rewrites the cluster status answer. */
function status(change: (body: StatusBody) => void): Rewrite {
  return (method, path, body) => {
    if (method !== "GET" || !path.startsWith("/clusters/hpc/status")) return undefined;
    const copy = structuredClone(body) as StatusBody;
    change(copy);
    return copy;
  };
}

/** Rewrites node listings: the node named `ondemand-1` failed, with `name` and `message`. */
function failedFirstNode(name: string, message: string, alsoSecond = false): Rewrite {
  return (method, path, body) => {
    if (method !== "GET" || !path.startsWith("/clusters/hpc/nodes")) return undefined;
    const list = body as { nodes: Record<string, unknown>[] };
    return {
      ...list,
      nodes: list.nodes.map((node) =>
        node["Name"] === "ondemand-1"
          ? { ...node, Name: name, Status: "Failed", StatusMessage: message }
          : alsoSecond && node["Name"] === "ondemand-2"
            ? { ...node, Status: "Failed", StatusMessage: message }
            : node,
      ),
    };
  };
}

/** No terminal escape, control or format character, and no line break, in any shown text. */
// eslint-disable-next-line no-control-regex -- the characters looked for
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

describe.each(HOSTILE)("$what", ({ text, plain, name }) => {
  it("progress line: a bucket's machine type", async () => {
    proxy.rewrite = status((body) => {
      const bucket = body.nodearrays[0]?.buckets[0];
      if (bucket) bucket["definition"] = { machineType: text };
    });
    const result = await provider.check({}, declare({ name: "workers", count: 1, machineType: undefined }));
    expect(result.failures).toEqual([]);
    expect(output.info).toEqual([
      `cyclecloud workers: preflight hpc/ondemand ${name}: +1 requested, 3 available (binding limit: bucket availableCount) - fits`,
    ]);
  });

  it("warning: a failed node's StatusMessage and Name", async () => {
    proxy.rewrite = failedFirstNode(text, text);
    const result = await provider.check({}, declare({ name: "workers", count: 2, minReady: 1 }));
    await provider.create(result.inputs);
    const warnings = output.info.filter((line) => line.includes(": warning: "));
    expect(warnings).toEqual([
      `cyclecloud workers: warning: 1/2 ready, at least \`minReady\` 1: 1 failed: ${plain} (${name}); the next \`pulumi up\` replaces them`,
    ]);
    expect(output.info.filter((line) => UNSAFE.test(line))).toEqual([]);
  });

  it("error: the failed nodes of a create", async () => {
    proxy.rewrite = failedFirstNode(text, text, true);
    const result = await provider.check({}, declare({ name: "workers", count: 2 }));
    const error = await provider.create(result.inputs).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      "workers: create of 2 x Standard_Fs32_v2 in nodearray 'ondemand' (cluster 'hpc') did not finish: " +
        `0/2 ready; 2 failed: ${plain} (${name}, ondemand-2); the next \`pulumi up\` replaces them; ` +
        "the set is recorded with the 2 node(s) it holds (0 ready). Run `pulumi up` again to finish",
    );
    expect((error as { reasons?: unknown }).reasons).toEqual([
      `2 failed: ${plain} (${name}, ondemand-2); the next \`pulumi up\` replaces them`,
    ]);
  });

  it("check failure: a nodearray's name", async () => {
    proxy.rewrite = status((body) => {
      const [first] = body.nodearrays;
      if (first) body.nodearrays.push({ ...first, name: text });
    });
    const result = await provider.check({}, declare({ name: "workers", nodearray: "nope" }));
    expect(result.failures).toEqual([
      {
        property: "nodearray",
        reason: `preflight hpc/nope Standard_Fs32_v2: +2 requested, none can be added: nodearray 'nope' does not exist (nodearrays: ondemand, ${name})`,
      },
    ]);
  });

  it("check failure: a bucket's machine type and invalidReason", async () => {
    proxy.rewrite = status((body) => {
      const [valid, other] = body.nodearrays[0]?.buckets ?? [];
      if (valid) Object.assign(valid, { valid: false, invalidReason: text });
      if (other) other["definition"] = { machineType: text };
    });
    const invalid = await provider.check({}, declare({ name: "workers" }));
    expect(invalid.failures).toEqual([
      {
        property: "machineType",
        reason: `preflight hpc/ondemand Standard_Fs32_v2: +2 requested, none can be added: bucket Standard_Fs32_v2 of nodearray 'ondemand' is not valid (${plain}): it only describes existing nodes`,
      },
    ]);
    const unknown = await provider.check({}, declare({ name: "workers", machineType: "Standard_X" }));
    expect(unknown.failures).toEqual([
      {
        property: "machineType",
        reason: `preflight hpc/ondemand Standard_X: +2 requested, none can be added: machine type 'Standard_X' is not offered by nodearray 'ondemand' (machine types: Standard_Fs32_v2, ${name})`,
      },
    ]);
  });
});

describe("the boundary where the engine gets text", () => {
  it("a check failure quoting a hostile input shows it escaped, as printable text", async () => {
    // The name rule refuses it before any cluster read; the value is quoted as JSON (\u escapes).
    const result = await provider.check({}, declare({ name: "workers", nodearray: "no\u001b[2J\npe" }));
    expect(result.failures).toEqual([
      {
        property: "nodearray",
        reason:
          "`nodearray` must be 1-80 characters of letters, digits, '.', '_' and '-', starting with a letter or digit, " +
          'got "no\\u001b[2J\\npe": give the name of the nodearray to create nodes from, e.g. "ondemand"',
      },
    ]);
  });
});
