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

const SETTINGS = "url, username, password, caCert, caCertPath, insecure, timeoutSeconds, maxResponseMiB";

/**
 * Each case: the set's extra arguments (program text) and the lines the engine prints. The engine
 * stops at the first set whose `check` fails, printing every failure of that set: so each case is
 * one set wrong in several ways, and one preview.
 */
const CASES: Record<string, { args: string; lines: string[] }> = {
  timeoutMisspeltInputDotdot: {
    args:
      `cluster: "..", connection: { url, username: "admin", password: "${PLAIN}", timeoutSeconds: 0 }, ` +
      `conection: { url, username: "admin", password: "${PLAIN}" }`,
    lines: [
      // A name holds no secret: its value is shown.
      `${TYPE} resource 'workers': property cluster value {..} has a problem: ` +
        `\`cluster\` must be ${RULE}, got "..": give the name of the CycleCloud cluster, e.g. "hpc"`,
      `${TYPE} resource 'workers' has a problem: \`connection.timeoutSeconds\` must be greater than 0`,
      `${TYPE} resource 'workers' has a problem: \`conection\` is not an input of a node set: did you mean \`connection\`?`,
    ],
  },
  misspeltAndUnknownSettings: {
    args:
      `connection: { url, username: "admin", password: "${PLAIN}", pasword: "${PLAIN}", proxyHost: "proxy", ` +
      `caCert: "x", caCertPath: "y" }`,
    lines: [
      `${TYPE} resource 'workers' has a problem: \`connection.pasword\` is not a connection setting: did you mean ` +
        `\`password\`?; \`connection.proxyHost\` is not a connection setting: its settings are ${SETTINGS}`,
      `${TYPE} resource 'workers' has a problem: \`connection.caCert\` and \`connection.caCertPath\` are exclusive: ` +
        "give the PEM text or a file path, not both",
    ],
  },
  urlNotString: {
    args: `count: -1, connection: { url: 8443, username: "admin", password: "${PLAIN}" }`,
    lines: [
      // Other inputs keep their value: it helps.
      `${TYPE} resource 'workers': property count value {-1} has a problem: \`count\` must be a whole number of nodes >= 0, got -1`,
      `${TYPE} resource 'workers' has a problem: \`connection.url\` must be a string such as https://cyclecloud.example.com:8443`,
    ],
  },
};

function program(url: string): string {
  const cases = Object.entries(CASES).map(([name, { args }]) => `  ${name}: { ${args} },`);
  return `import * as pulumi from "@pulumi/pulumi";
import { CycleCloudNodeSet } from "pulumi-cyclecloud";
import type { CycleCloudNodeSetArgs } from "pulumi-cyclecloud";

const url = "${url}";
// Arguments a JavaScript program or spread config could give: not type-checked.
const cases: Record<string, Record<string, unknown>> = {
${cases.join("\n")}
};
const args = {
  cluster: "hpc",
  nodearray: "ondemand",
  machineType: "Standard_Fs32_v2",
  count: 1,
  ...cases[new pulumi.Config().require("case")],
};
new CycleCloudNodeSet("workers", args as unknown as CycleCloudNodeSetArgs);
`;
}

let emulator: RunningEmulator;
let ws: Workspace;

beforeAll(async () => {
  emulator = await startE2eEmulator();
  ws = await Workspace.create({ example: "quickstart", label: "check-secrets" });
  await ws.init(emulator);
  await ws.writeProgram(program(emulator.url));
});

afterAll(async () => {
  await ws?.dispose();
  await emulator?.close();
});

describe("a refused check prints the field path, never a password", () => {
  for (const [name, { lines }] of Object.entries(CASES)) {
    it(`${name}: prints each failure with its field and fix, the password nowhere`, async () => {
      await ws.setConfig({ case: name });
      const text = output(expectFailure(await ws.pulumi(["preview"])));
      for (const line of lines) expect(text).toContain(`error: ${line}`);
      expect(text.split("\n").filter((l) => l.includes("has a problem")).length).toBe(lines.length * 2);
      expect(text).not.toContain(PLAIN);
      expect(text).not.toMatch(/property (connection|conection) value/);
    });
  }

  it("sent no request that changes anything (check refused every case)", async () => {
    expect(await mutatingRequests(emulator)).toBe(0);
  });

  it("`pulumi-cyclecloud plan` prints the field path, not the password", async () => {
    await ws.setConfig({ case: "misspeltAndUnknownSettings" });
    const plan = expectFailure(
      await run(process.execPath, [PLAN_CLI, "plan", "--stack", ws.stack], {
        cwd: ws.programDir,
        env: ws.env(),
      }),
    );
    expect(output(plan)).toContain(
      `pulumi-cyclecloud plan: pulumi preview failed:\n${CASES["misspeltAndUnknownSettings"]?.lines[0]}`,
    );
    expect(output(plan)).not.toContain(PLAIN);
  });

  it("no command printed the stack's password either, nor does state hold it", async () => {
    await expectNoPasswordAnywhere([ws]);
  });
});
