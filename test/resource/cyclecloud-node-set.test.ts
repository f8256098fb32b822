import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];

beforeAll(() => {
  void pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        return { id: `${args.name}-id`, state: { ...args.inputs, hostnames: ["ip-0A010004"] } };
      },
      call: () => ({}),
    },
    "hpc-infra",
    "prod",
    false,
  );
});

function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

describe("CycleCloudNodeSet wiring", () => {
  it("passes exactly the declared inputs, the identity and the serialized provider to the engine", async () => {
    const { CycleCloudNodeSet } = await import("../../provider");
    const set = new CycleCloudNodeSet("mpi", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: "Standard_Hc44rs",
      placementGroupId: "pg0",
      count: 4,
      preflight: "warn",
    });
    expect(await outputValue(set.hostnames)).toEqual(["ip-0A010004"]);
    const mpi = registered.find((r) => r.name === "mpi");
    expect(mpi?.type).toBe("pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSet");
    const { __provider: provider, ...inputs } = mpi?.inputs ?? {};
    expect(inputs).toEqual({
      identity: "hpc-infra/prod/mpi",
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: "Standard_Hc44rs",
      placementGroupId: "pg0",
      count: 4,
      preflight: "warn",
    });
    expect(typeof provider).toBe("string");
    expect(provider).toContain("pulumi-cyclecloud/internal/provider-impl");
  });

  it("sends an explicit connection to the engine as a secret", async () => {
    const { CycleCloudNodeSet } = await import("../../provider");
    const set = new CycleCloudNodeSet("withConnection", {
      cluster: "hpc",
      nodearray: "ondemand",
      count: 1,
      connection: { url: "https://cc.example.com:8443", username: "admin", password: "hunter2-secret" },
    });
    await outputValue(set.hostnames);
    const registration = registered.find((r) => r.name === "withConnection");
    // The engine stores a value wrapped in the secret sigil encrypted in state.
    expect(registration?.inputs["connection"]).toEqual({
      [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
      value: { url: "https://cc.example.com:8443", username: "admin", password: "hunter2-secret" },
    });
  });
});
