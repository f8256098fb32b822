/**
 * `connection` fields as `Input`s through the real engine (issue 15, part 5): a program passes its
 * own config, the password from `config.requireSecret`, to a node set, to getClusterStatus and to
 * getClusterStatusOutput. The stack's `cyclecloud:password` is removed, so only that connection
 * can authenticate. State holds the connection as ciphertext; the Output form's result is secret.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import {
  emulatorNodes,
  expectFailure,
  expectNoPasswordAnywhere,
  expectSuccess,
  liveNodes,
  mutatingRequests,
  output,
  startE2eEmulator,
  Workspace,
} from "./harness";

const PROJECT = "cyclecloud-quickstart";

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { CycleCloudNodeSet, getClusterStatus, getClusterStatusOutput } from "pulumi-cyclecloud";

const config = new pulumi.Config();
const connection = {
  url: config.require("url"),
  username: config.require("username"),
  password: config.requireSecret("pw"),
};

const workers = new CycleCloudNodeSet("workers", {
  cluster: "hpc",
  nodearray: "ondemand",
  machineType: "Standard_Fs32_v2",
  count: 2,
  connection,
});

export const readyCount = workers.readyCount;
export const clusterState = getClusterStatus({ cluster: "hpc", connection }).then((s) => s.state);
export const clusterStateOutput = getClusterStatusOutput({ cluster: "hpc", connection }).apply((s) => s.state);
`;

/** A value the engine stores encrypted, as `pulumi stack export` shows it. */
const CIPHERTEXT = {
  "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
  ciphertext: expect.stringMatching(/^v1:/),
};

let emulator: RunningEmulator;
let ws: Workspace;

beforeAll(async () => {
  emulator = await startE2eEmulator();
  ws = await Workspace.create({ example: "quickstart", label: "connection-inputs" });
  await writeFile(join(ws.programDir, "index.ts"), PROGRAM);
  await ws.init(emulator);
  expectSuccess(await ws.pulumi(["config", "rm", "cyclecloud:password"]));
  await ws.setConfig({ url: emulator.url, username: emulator.username });
  expectSuccess(await ws.pulumi(["config", "set", "--secret", "pw"], { input: emulator.password }));
});

afterAll(async () => {
  await ws?.dispose();
  await emulator?.close();
});

describe("a connection from the program's config, password from requireSecret", () => {
  it("previews (getClusterStatus resolves the secret during preview) and creates nothing", async () => {
    const preview = expectSuccess(await ws.preview());

    expect(preview.steps).toEqual([{ op: "create", urn: ws.urn(PROJECT, "workers") }]);
    expect(await mutatingRequests(emulator)).toBe(0);
  });

  it("creates the nodes with that connection, stores it as ciphertext, keeps the Output form secret", async () => {
    expectSuccess(await ws.up());

    expect((await liveNodes(emulator)).map((n) => n.record.Name)).toEqual(["ondemand-1", "ondemand-2"]);
    expect(await ws.outputs()).toEqual({
      readyCount: 2,
      clusterState: "Started",
      clusterStateOutput: "[secret]",
    });
    const set = await ws.nodeSet();
    expect(set.inputs?.["connection"]).toEqual(CIPHERTEXT);
    expect(set.outputs["connection"]).toEqual(CIPHERTEXT);
  });

  it("destroys the nodes through the stored connection", async () => {
    expectSuccess(await ws.destroy());

    expect(await emulatorNodes(emulator)).toEqual([]);
    expect(await ws.nodeSets()).toEqual([]);
  });

  it("never printed the password, and neither state nor stack config holds it in clear", async () => {
    await expectNoPasswordAnywhere([ws]);
  });
});

describe("a misspelt connection setting given to getClusterStatus", () => {
  it("fails the preview naming the setting and the nearest one, with no request to CycleCloud", async () => {
    const misspelt = `import * as pulumi from "@pulumi/pulumi";
import { getClusterStatus } from "pulumi-cyclecloud";
import type { ConnectionArgs } from "pulumi-cyclecloud";

const config = new pulumi.Config();
// As a JavaScript program or settings spread from config would pass it: no compiler check.
const connection = { url: config.require("url"), usrname: config.require("username"), password: config.requireSecret("pw") };
export const clusterState = getClusterStatus({ cluster: "hpc", connection: connection as ConnectionArgs }).then((s) => s.state);
`;
    await writeFile(join(ws.programDir, "index.ts"), misspelt);
    const before = emulator.counters().total;

    const preview = expectFailure(await ws.pulumi(["preview"]));

    expect(output(preview)).toContain(
      "`connection.usrname` is not a connection setting: did you mean `username`?",
    );
    expect(emulator.counters().total).toBe(before);
  });
});

describe("a wrong password in the program's connection", () => {
  it("fails the preview naming the settings to fix, on no property, and never prints the password", async () => {
    const program = `import * as pulumi from "@pulumi/pulumi";
import { CycleCloudNodeSet } from "pulumi-cyclecloud";

const config = new pulumi.Config();
new CycleCloudNodeSet("workers", {
  cluster: "hpc",
  nodearray: "ondemand",
  machineType: "Standard_Fs32_v2",
  count: 2,
  connection: { url: config.require("url"), username: config.require("username"), password: config.requireSecret("pw") },
});
`;
    await writeFile(join(ws.programDir, "index.ts"), program);
    const wrong = "Wr0ng-pa55word-e2e";
    expectSuccess(await ws.pulumi(["config", "set", "--secret", "pw"], { input: wrong }));

    const mutatedBefore = await mutatingRequests(emulator);
    const preview = expectFailure(await ws.pulumi(["preview"]));

    const text = output(preview);
    expect(text).toContain(
      "error: pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSet resource 'workers' has a problem: preflight could not read the status of cluster 'hpc': " +
        "CycleCloud answered 401 to GET /clusters/hpc/status?nodes=false: Invalid username or password; " +
        "check the `username` and `password` settings. The password comes from `connection.password`, the username from `connection.username`",
    );
    expect(text).not.toContain("property connection");
    expect(text).not.toContain(wrong);
    expect(text).not.toContain(emulator.password);
    expect(await mutatingRequests(emulator)).toBe(mutatedBefore);
  });
});
