/**
 * No plaintext secret in the output of a refused `check` (issue 22 item 4), and names that cannot
 * walk the URL (issue 24 item 2), through the real engine. For a check failure with a property the
 * engine prints `property <p> value <the program's value of p> has a problem` (step_generator.go,
 * issueCheckFailures), secret or not; a failure of `connection` or of a key the set does not know
 * carries no property, so the engine prints `resource '<name>' has a problem: <reason>` and the
 * reason names the field path. One program of several sets, each wrong in one way with a plain
 * string password: one `pulumi preview` reports every set, and `pulumi-cyclecloud plan` (which runs
 * the preview) says the same.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import type { CommandResult } from "./harness";
import {
  expectFailure,
  expectNoPasswordAnywhere,
  mutatingRequests,
  output,
  REPO_ROOT,
  run,
  startE2eEmulator,
  Workspace,
} from "./harness";

const PLAN_CLI = join(REPO_ROOT, "dist", "provider", "plan", "cli.js");
/** The password each set gives as a plain string (not a secret), in `connection` or elsewhere. */
const PLAIN = "Plain-Str1ng-Pa55word";
const TYPE = "pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSet";
const RULE = "1-80 characters of letters, digits, '.', '_' and '-', starting with a letter or digit";

/** Each set: its extra arguments (program text) and the reason the engine prints for it. */
const CASES: Record<string, { args: string; reason: string }> = {
  zeroTimeout: {
    args: `connection: { url, username: "admin", password: "${PLAIN}", timeoutSeconds: 0 }`,
    reason: "`connection.timeoutSeconds` must be greater than 0",
  },
  unknownSetting: {
    args: `connection: { url, username: "admin", password: "${PLAIN}", proxyHost: "proxy" }`,
    reason:
      "`connection.proxyHost` is not a connection setting: its settings are url, username, password, caCert, " +
      "caCertPath, insecure, timeoutSeconds, maxResponseMiB",
  },
  misspeltSetting: {
    args: `connection: { url, username: "admin", pasword: "${PLAIN}" }`,
    reason: "`connection.pasword` is not a connection setting: did you mean `password`?",
  },
  misspeltInput: {
    args: `conection: { url, username: "admin", password: "${PLAIN}" }`,
    reason: "`conection` is not an input of a node set: did you mean `connection`?",
  },
  urlNotString: {
    args: `connection: { url: 8443, username: "admin", password: "${PLAIN}" }`,
    reason: "`connection.url` must be a string such as https://cyclecloud.example.com:8443",
  },
  bothCas: {
    args: `connection: { url, username: "admin", password: "${PLAIN}", caCert: "x", caCertPath: "y" }`,
    reason:
      "`connection.caCert` and `connection.caCertPath` are exclusive: give the PEM text or a file path, not both",
  },
};

function program(url: string): string {
  const sets = Object.entries(CASES).map(([name, { args }]) => `set("${name}", { ${args} });`);
  return `import { CycleCloudNodeSet } from "pulumi-cyclecloud";
import type { CycleCloudNodeSetArgs } from "pulumi-cyclecloud";

const url = "${url}";
// Arguments a JavaScript program or spread config could give: not type-checked.
function set(name: string, extra: Record<string, unknown>): void {
  const args = { cluster: "hpc", nodearray: "ondemand", machineType: "Standard_Fs32_v2", count: 1, ...extra };
  new CycleCloudNodeSet(name, args as unknown as CycleCloudNodeSetArgs);
}
${sets.join("\n")}
// A cluster name that would walk the URL: its value helps and holds no secret.
set("dotdot", { cluster: ".." });
`;
}

let emulator: RunningEmulator;
let ws: Workspace;
let preview: CommandResult;

beforeAll(async () => {
  emulator = await startE2eEmulator();
  ws = await Workspace.create({ example: "quickstart", label: "check-secrets" });
  await ws.init(emulator);
  await ws.writeProgram(program(emulator.url));
  preview = expectFailure(await ws.pulumi(["preview"]));
});

afterAll(async () => {
  await ws?.dispose();
  await emulator?.close();
});

describe("a refused check prints the field path, never a password", () => {
  it("names each set's field and fix with no value, and prints the password nowhere", () => {
    const text = output(preview);
    for (const [name, { reason }] of Object.entries(CASES)) {
      expect(text).toContain(`${TYPE} resource '${name}' has a problem: ${reason}`);
    }
    expect(text).not.toContain(PLAIN);
    expect(text).not.toContain("property connection value");
    expect(text).not.toContain("property conection value");
  });

  it("refuses cluster `..` naming the rule, before any request", async () => {
    expect(output(preview)).toContain(
      `${TYPE} resource 'dotdot': property cluster value {..} has a problem: ` +
        `\`cluster\` must be ${RULE}, got "..": give the name of the CycleCloud cluster, e.g. "hpc"`,
    );
    expect(await mutatingRequests(emulator)).toBe(0);
  });

  it("`pulumi-cyclecloud plan` says the same and prints no password", async () => {
    const plan = expectFailure(
      await run(process.execPath, [PLAN_CLI, "plan", "--stack", ws.stack], {
        cwd: ws.programDir,
        env: ws.env(),
      }),
    );
    const text = output(plan);
    expect(text).toContain(
      `${TYPE} resource 'misspeltSetting' has a problem: ${CASES["misspeltSetting"]?.reason}`,
    );
    expect(text).toContain(`${TYPE} resource 'zeroTimeout' has a problem: ${CASES["zeroTimeout"]?.reason}`);
    expect(text).not.toContain(PLAIN);
  });

  it("no command printed the stack's password either, nor does state hold it", async () => {
    await expectNoPasswordAnywhere([ws]);
  });
});
