/**
 * `connection` fields as `Input`s (issue 15, part 5): getClusterStatus resolves plain values,
 * Promises and Outputs (secret or not) before connecting, and fails naming the field when an
 * Output is unknown during preview; getClusterStatusOutput stays secret when the connection is.
 * Runs under `pulumi.runtime.setMocks` in preview mode, so resource outputs are unknown the way the
 * engine makes them during a real preview.
 */
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator";
import type { RunningEmulator } from "../../emulator";
import { ConnectionConfigError, getClusterStatus, getClusterStatusOutput } from "../../provider";
import type { ClusterStatus } from "../../provider";

const PROJECT = "hpc-infra";

/** A resource whose `value` output the mock leaves out, so it is unknown during preview. */
class PendingValue extends pulumi.CustomResource {
  declare readonly value: pulumi.Output<string>;
  constructor(name: string) {
    super("test:index:PendingValue", name, { value: undefined });
  }
}

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: {} }),
      call: () => ({}),
    },
    PROJECT,
    "dev",
    true, // preview
  );
  pulumi.runtime.setConfig(`${PROJECT}:url`, emu.url);
  pulumi.runtime.setConfig(`${PROJECT}:pw`, emu.password);
});
afterAll(async () => {
  await emu.close();
});

/** The value of an Output that is known (never resolves for an unknown one). */
function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

const machineTypes = (status: ClusterStatus) =>
  status.nodearrays.flatMap((n) => n.buckets.map((b) => b.definition?.machineType));

describe("getClusterStatus with Input connection fields", () => {
  it("takes stack config values, a `requireSecret` password included (the issue's snippet)", async () => {
    const config = new pulumi.Config();
    const status = await getClusterStatus({
      cluster: "hpc",
      connection: {
        url: config.require("url"),
        username: emu.username,
        password: config.requireSecret("pw"),
      },
    });
    expect(machineTypes(status)).toEqual(["Standard_Fs32_v2", "Standard_Hc44rs"]);
  });

  it("resolves plain values, Promises, Outputs and secret Outputs field by field", async () => {
    const status = await getClusterStatus({
      cluster: "hpc",
      connection: {
        url: pulumi.output(emu.url),
        username: Promise.resolve(emu.username),
        password: pulumi.secret(Promise.resolve(emu.password)),
        insecure: pulumi.output(false),
        timeoutSeconds: Promise.resolve(30),
        caCertPath: pulumi.output<string | undefined>(undefined),
      },
    });
    expect(status.state).toBe("Started");
  });

  it("still fails on a wrong password it resolved (so the explicit password is the one used)", async () => {
    await expect(
      getClusterStatus({
        cluster: "hpc",
        connection: { url: emu.url, username: emu.username, password: pulumi.secret("not-the-password") },
      }),
    ).rejects.toThrow(/401/);
  });

  it("fails with a message naming the field when an Output is unknown during preview", async () => {
    const pending = new PendingValue("pending");
    const before = emu.counters().total;
    const error = await getClusterStatus({
      cluster: "hpc",
      connection: { url: emu.url, username: emu.username, password: pulumi.secret(pending.value) },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionConfigError);
    expect((error as Error).message).toMatch(
      /^`connection\.password` is not known yet during preview: .*use getClusterStatusOutput/,
    );

    const url = await getClusterStatus({
      cluster: "hpc",
      connection: { url: pending.value, username: emu.username, password: emu.password },
    }).catch((e: unknown) => e);
    expect((url as Error).message).toMatch(/^`connection\.url` is not known yet during preview/);
    expect(emu.counters().total).toBe(before);
  });

  it("fails naming the field when a resolved value has the wrong type", async () => {
    await expect(
      getClusterStatus({
        cluster: "hpc",
        connection: {
          url: emu.url,
          username: emu.username,
          password: emu.password,
          // A JavaScript caller (or a cast) can pass anything.
          timeoutSeconds: Promise.resolve("soon" as unknown as number),
        },
      }),
    ).rejects.toThrow("`connection.timeoutSeconds` must be a number of seconds");
  });
});

describe("getClusterStatusOutput with Input connection fields", () => {
  it("is secret when the password is, and is known when every input is", async () => {
    const config = new pulumi.Config();
    const output = getClusterStatusOutput({
      cluster: "hpc",
      connection: {
        url: config.require("url"),
        username: emu.username,
        password: config.requireSecret("pw"),
      },
    });
    expect(await pulumi.isSecret(output)).toBe(true);
    expect((await valueOf(output)).state).toBe("Started");
  });

  it("is not secret without secret inputs", async () => {
    const output = getClusterStatusOutput({
      cluster: pulumi.output("hpc"),
      connection: { url: pulumi.output(emu.url), username: emu.username, password: emu.password },
    });
    expect(await pulumi.isSecret(output)).toBe(false);
    expect((await valueOf(output)).state).toBe("Started");
  });

  it("is unknown, without calling CycleCloud, while a connection field is unknown", async () => {
    const pending = new PendingValue("pendingForOutput");
    const before = emu.counters().total;
    const output = getClusterStatusOutput({
      cluster: "hpc",
      connection: { url: emu.url, username: emu.username, password: pulumi.secret(pending.value) },
    });
    // How the engine would see it: the unknown sentinel.
    expect(await pulumi.runtime.serializeProperty("status", output)).toBe(pulumi.runtime.unknownValue);
    expect(emu.counters().total).toBe(before);
  });
});
