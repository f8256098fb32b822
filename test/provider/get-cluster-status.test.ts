import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";
import type { ConnectionArgs } from "../../provider";
import { ConnectionConfigError } from "../../provider/core/connection";
import { capacityFit, getClusterStatus, getClusterStatusOutput } from "../../provider";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emu.close();
});

describe("getClusterStatus", () => {
  it("reads the seed cluster's buckets with an explicit connection", async () => {
    const status = await getClusterStatus({
      cluster: "hpc",
      connection: { url: emu.url, username: emu.username, password: emu.password },
    });
    expect(
      status.nodearrays.map((n) =>
        n.buckets.map((b) => [b.definition?.machineType, b.availableCount, b.virtualMachine.infiniband]),
      ),
    ).toEqual([
      [
        ["Standard_Fs32_v2", 3, false],
        ["Standard_Hc44rs", 11, true],
      ],
    ]);
    expect(
      capacityFit(
        status,
        { nodearray: "ondemand", machineType: "Standard_Hc44rs", placementGroupId: "pg0" },
        4,
      ).fits,
    ).toBe(true);
  });

  it("refuses a connection setting it does not know, naming the nearest, before any request", async () => {
    const before = emu.counters().total;
    const connection = { url: emu.url, usrname: emu.username, password: emu.password } as ConnectionArgs;
    await expect(getClusterStatus({ cluster: "hpc", connection })).rejects.toEqual(
      new ConnectionConfigError("`connection.usrname` is not a connection setting: did you mean `username`?"),
    );
    const unrelated = { url: emu.url, proxyHost: "proxy", pasword: emu.password } as ConnectionArgs;
    await expect(getClusterStatus({ cluster: "hpc", connection: unrelated })).rejects.toEqual(
      new ConnectionConfigError(
        "`connection.proxyHost` is not a connection setting: its settings are url, username, password, caCert, " +
          "caCertPath, insecure, timeoutSeconds, maxResponseMiB; `connection.pasword` is not a connection setting: " +
          "did you mean `password`?",
      ),
    );
    expect(emu.counters().total).toBe(before);
  });

  it("falls back to the CYCLECLOUD_* environment", async () => {
    process.env["CYCLECLOUD_URL"] = emu.url;
    process.env["CYCLECLOUD_USERNAME"] = emu.username;
    process.env["CYCLECLOUD_PASSWORD"] = emu.password;
    try {
      const status = await getClusterStatus({ cluster: "hpc", nodes: true });
      expect(status.nodes).toEqual([]);
    } finally {
      delete process.env["CYCLECLOUD_URL"];
      delete process.env["CYCLECLOUD_USERNAME"];
      delete process.env["CYCLECLOUD_PASSWORD"];
    }
  });

  it("has an Output form taking Inputs", async () => {
    const output = getClusterStatusOutput({
      cluster: pulumi.output("hpc"),
      connection: { url: emu.url, username: emu.username, password: emu.password },
    });
    const state = await new Promise<string | undefined>((resolve) => output.apply((s) => resolve(s.state)));
    expect(state).toBe("Started");
  });
});
