import { describe, expect, it } from "vitest";
import * as errors from "../../provider/core/errors";
import type { NodeSetState } from "../../provider/core/node-set-state";
import { HttpError } from "../../provider/client";
import { checked, createSet, declare, provider, useProviderEmulator } from "./harness";

useProviderEmulator();

describe("the errors of the resource layer", () => {
  const made: [string, Error, (value: unknown) => boolean][] = [
    ["CapacityShortfallError", new errors.CapacityShortfallError("m"), errors.isCapacityShortfallError],
    ["CreateRequestError", new errors.CreateRequestError("m"), errors.isCreateRequestError],
    ["DeleteTimeoutError", new errors.DeleteTimeoutError("m"), errors.isDeleteTimeoutError],
    ["NodeManagementError", new errors.NodeManagementError("m"), errors.isNodeManagementError],
    ["NodeSetInputError", new errors.NodeSetInputError("m"), errors.isNodeSetInputError],
    ["NodeSetOperationError", new errors.NodeSetOperationError("m"), errors.isNodeSetOperationError],
    [
      "NodeSetPartialFailure",
      new errors.NodeSetPartialFailure("m", "id", {} as NodeSetState, []),
      errors.isNodeSetPartialFailure,
    ],
    [
      "UncertainCreateError",
      new errors.UncertainCreateError("r-0", new Error("lost"), new Error("listing")),
      errors.isUncertainCreateError,
    ],
  ];

  it("each has its name, and a guard that accepts it and nothing else", () => {
    expect(made.map(([, error]) => error.name)).toEqual(made.map(([name]) => name));
    const accepted = made.map(([name, , guard]) => [
      name,
      made.filter(([, error]) => guard(error)).map(([other]) => other),
      guard(new Error("m")),
    ]);
    expect(accepted).toEqual(made.map(([name]) => [name, [name], false]));
  });

  it("only a partial failure has an `id` (the provider host records a set with an id in state)", () => {
    expect(made.filter(([, error]) => "id" in error).map(([name]) => name)).toEqual([
      "NodeSetPartialFailure",
    ]);
  });

  it("a create that fails before any node exists throws a NodeSetOperationError over the typed cause", async () => {
    const inputs = await checked(
      declare({ count: 1, preflight: "off", adoptExisting: { nodeIds: ["no-such-node"] } }),
    );
    const error = await provider.create(inputs).catch((e: unknown) => e);
    expect(errors.isNodeSetOperationError(error)).toBe(true);
    const cause = (error as Error).cause;
    expect(errors.isNodeSetInputError(cause)).toBe(true);
    expect((cause as Error).message).toBe(
      "`adoptExisting.nodeIds`: cluster 'hpc' has no node no-such-node: fix the list of node ids",
    );
  });

  it("a create CycleCloud refuses throws a NodeSetOperationError over the client's error, not a partial failure", async () => {
    const inputs = await checked(declare({ count: 1, machineType: "Standard_HC44rs", preflight: "off" }));
    const error = await provider.create(inputs).catch((e: unknown) => e);
    expect([errors.isNodeSetOperationError(error), errors.isNodeSetPartialFailure(error)]).toEqual([
      true,
      false,
    ]);
    expect((error as Error).cause).toBeInstanceOf(HttpError);
  });

  it("a create CycleCloud added no node for throws a NodeSetOperationError over a capacity shortfall", async () => {
    // The seed's Standard_Fs32_v2 bucket holds 3 more nodes: a first set takes them all.
    await createSet(declare({ count: 3 }));
    const inputs = await checked(declare({ count: 1, preflight: "off" }));
    const error = await provider.create(inputs).catch((e: unknown) => e);
    expect(errors.isNodeSetOperationError(error)).toBe(true);
    const cause = (error as Error).cause;
    expect(errors.isCapacityShortfallError(cause)).toBe(true);
    expect((cause as Error).message).toMatch(
      /^CycleCloud added 0 of 1 requested node\(s\).*: free capacity in the cluster or lower `count`, then run `pulumi up` again$/,
    );
  });
});
