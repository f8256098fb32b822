import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];
const SET_TYPE = "pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSet";
const IDENTITY_TYPE = "pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSetIdentity";

function find(type: string, name: string): Registered | undefined {
  return registered.find((r) => r.type === type && r.name === name);
}

beforeAll(() => {
  void pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        if (args.type === IDENTITY_TYPE) {
          const setUrn = String(args.inputs["setUrn"]);
          return { id: "token", state: { createdFor: setUrn, identity: `${setUrn}#token` } };
        }
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
  it("passes exactly the declared inputs, its identity, its name and the serialized provider to the engine", async () => {
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
    const mpi = find(SET_TYPE, "mpi");
    const { __provider: provider, ...inputs } = mpi?.inputs ?? {};
    expect(inputs).toEqual({
      identity: `urn:pulumi:prod::hpc-infra::${SET_TYPE}::mpi#token`,
      name: "mpi",
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
    const registration = find(SET_TYPE, "withConnection");
    // The engine stores a value wrapped in the secret sigil encrypted in state.
    expect(registration?.inputs["connection"]).toEqual({
      [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
      value: { url: "https://cc.example.com:8443", username: "admin", password: "hunter2-secret" },
    });
  });

  it("declares its identity beside it, under its own URN, before the set", async () => {
    const { CycleCloudNodeSet } = await import("../../provider");
    const set = new CycleCloudNodeSet("ordered", { cluster: "hpc", nodearray: "ondemand", count: 1 });
    await outputValue(set.hostnames);
    const identityAt = registered.findIndex((r) => r.type === IDENTITY_TYPE && r.name === "ordered");
    const setAt = registered.findIndex((r) => r.type === SET_TYPE && r.name === "ordered");
    expect(identityAt).toBeGreaterThanOrEqual(0);
    expect(identityAt).toBeLessThan(setAt);
    const { __provider: provider, ...inputs } = registered[identityAt]?.inputs ?? {};
    expect(inputs).toEqual({ setUrn: `urn:pulumi:prod::hpc-infra::${SET_TYPE}::ordered` });
    expect(provider).toContain("nodeSetIdentityProvider");
  });

  it("asks for delete-first replacement when the deleteBeforeReplace resource option is set", async () => {
    const { CycleCloudNodeSet } = await import("../../provider");
    const set = new CycleCloudNodeSet(
      "deleteFirst",
      { cluster: "hpc", nodearray: "ondemand", count: 1 },
      { deleteBeforeReplace: true },
    );
    await outputValue(set.hostnames);
    expect(find(SET_TYPE, "deleteFirst")?.inputs["deleteBeforeReplace"]).toBe(true);
  });

  // Was a defect: the identity took its parent's URN as an output, which carries a dependency on
  // every child of the component, the set among them; the set waits for its identity, so neither
  // ever registered (the engine reported "promises were still active").
  it("registers a set declared inside a component's constructor, with its full URN in its identity", async () => {
    const { CycleCloudNodeSet } = await import("../../provider");
    class Pool extends pulumi.ComponentResource {
      readonly workers: InstanceType<typeof CycleCloudNodeSet>;
      constructor(name: string) {
        super("acme:hpc:Pool", name);
        this.workers = new CycleCloudNodeSet(
          "pooled",
          { cluster: "hpc", nodearray: "ondemand", count: 1 },
          { parent: this },
        );
      }
    }
    const pool = new Pool("pool");
    expect(await outputValue(pool.workers.hostnames)).toEqual(["ip-0A010004"]);
    expect(find(SET_TYPE, "pooled")?.inputs["identity"]).toBe(
      `urn:pulumi:prod::hpc-infra::acme:hpc:Pool$${SET_TYPE}::pooled#token`,
    );
  });
});
