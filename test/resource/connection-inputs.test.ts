/**
 * `connection` fields as `Input`s (issue 15, part 5), on the resource side and at the type level.
 * This file is type-checked by `npm run typecheck`: the snippet below must compile.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { CycleCloudNodeSet, getClusterStatus, getClusterStatusOutput } from "../../provider";
import type {
  ClusterStatus,
  ConnectionArgs,
  CycleCloudNodeSetArgs,
  GetClusterStatusArgs,
  GetClusterStatusOutputArgs,
} from "../../provider";
import type { PlainConnectionArgs } from "../../provider/core/inputs";

const PROJECT = "hpc-infra";
const URL = "https://cc.example.com:8443";
const PASSWORD = "hunter2-secret";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        return { id: `${args.name}-id`, state: { ...args.inputs, hostnames: [] } };
      },
      call: () => ({}),
    },
    PROJECT,
    "prod",
    false,
  );
  pulumi.runtime.setConfig(`${PROJECT}:url`, URL);
  pulumi.runtime.setConfig(`${PROJECT}:pw`, PASSWORD);
});

function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

/** What the engine receives for a secret: the value under the secret sigil, stored as ciphertext. */
const asSecret = (value: unknown) => ({
  [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
  value,
});

async function connectionSent(name: string, set: CycleCloudNodeSet): Promise<unknown> {
  await outputValue(set.hostnames);
  return registered.find((r) => r.name === name && r.type.endsWith(":CycleCloudNodeSet"))?.inputs[
    "connection"
  ];
}

describe("the issue's snippet", () => {
  it("compiles and sends the connection to the engine as one secret with the values resolved", async () => {
    // Verbatim from issue 15, part 5.
    const config = new pulumi.Config();
    const workers = new CycleCloudNodeSet("workers", {
      cluster: "hpc",
      nodearray: "ondemand",
      count: 2,
      connection: { url: config.require("url"), username: "admin", password: config.requireSecret("pw") },
    });

    expect(await connectionSent("workers", workers)).toEqual(
      asSecret({ url: URL, username: "admin", password: PASSWORD }),
    );
  });

  it("also compiles for getClusterStatus and getClusterStatusOutput", () => {
    const config = new pulumi.Config();
    const connection = {
      url: config.require("url"),
      username: "admin",
      password: config.requireSecret("pw"),
    };
    // Type-level only: the calls themselves are checked in test/provider/connection-inputs.test.ts.
    const calls = () => [
      getClusterStatus({ cluster: "hpc", connection }),
      getClusterStatusOutput({ cluster: "hpc", connection }),
    ];
    expectTypeOf(calls).returns.toEqualTypeOf<(Promise<ClusterStatus> | pulumi.Output<ClusterStatus>)[]>();
  });
});

describe("CycleCloudNodeSet with Input connection fields", () => {
  it("wraps a connection whose fields are non-secret Outputs and Promises as a secret too", async () => {
    const set = new CycleCloudNodeSet("mixed", {
      cluster: "hpc",
      nodearray: "ondemand",
      count: 1,
      connection: {
        url: pulumi.output(URL),
        username: Promise.resolve("admin"),
        password: pulumi.output(PASSWORD),
        insecure: pulumi.output(false),
        timeoutSeconds: Promise.resolve(45),
      },
    });
    expect(await connectionSent("mixed", set)).toEqual(
      asSecret({ url: URL, username: "admin", password: PASSWORD, insecure: false, timeoutSeconds: 45 }),
    );
  });

  it("keeps a whole-connection Output (with a secret field inside) one secret", async () => {
    const set = new CycleCloudNodeSet("whole", {
      cluster: "hpc",
      nodearray: "ondemand",
      count: 1,
      connection: pulumi.output({ url: URL, username: "admin", password: pulumi.secret(PASSWORD) }),
    });
    expect(await connectionSent("whole", set)).toEqual(
      asSecret({ url: URL, username: "admin", password: PASSWORD }),
    );
  });
});

describe("connection types", () => {
  it("accept an Input in every field, plain values included", () => {
    expectTypeOf<pulumi.Output<string>>().toExtend<NonNullable<ConnectionArgs["url"]>>();
    expectTypeOf<pulumi.Output<string>>().toExtend<NonNullable<ConnectionArgs["password"]>>();
    expectTypeOf<Promise<string>>().toExtend<NonNullable<ConnectionArgs["caCert"]>>();
    expectTypeOf<pulumi.Output<string | undefined>>().toExtend<ConnectionArgs["caCertPath"]>();
    expectTypeOf<pulumi.Output<boolean>>().toExtend<NonNullable<ConnectionArgs["insecure"]>>();
    expectTypeOf<pulumi.Output<number>>().toExtend<NonNullable<ConnectionArgs["timeoutSeconds"]>>();
    expectTypeOf<PlainConnectionArgs>().toExtend<ConnectionArgs>();
    expectTypeOf<{ url: string; username: string; password: string }>().toExtend<ConnectionArgs>();
    expectTypeOf<ConnectionArgs>().toExtend<NonNullable<GetClusterStatusArgs["connection"]>>();
    expectTypeOf<ConnectionArgs>().toExtend<NonNullable<GetClusterStatusOutputArgs["connection"]>>();
    expectTypeOf<pulumi.Output<ConnectionArgs>>().toExtend<
      NonNullable<CycleCloudNodeSetArgs["connection"]>
    >();
  });

  it("keep each field's type and the plain type plain", () => {
    expectTypeOf<pulumi.Output<number>>().not.toExtend<NonNullable<ConnectionArgs["url"]>>();
    expectTypeOf<string>().not.toExtend<NonNullable<ConnectionArgs["insecure"]>>();
    expectTypeOf<pulumi.Output<string>>().not.toExtend<NonNullable<PlainConnectionArgs["password"]>>();
    // @ts-expect-error `timeoutSeconds` is a number of seconds
    const wrong: ConnectionArgs = { timeoutSeconds: pulumi.output("30") };
    void wrong; // what this test checks is the @ts-expect-error above, under `npm run typecheck`
  });
});
