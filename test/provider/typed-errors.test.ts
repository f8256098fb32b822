import { describe, expect, it } from "vitest";
import * as errors from "../../provider/core/errors";
import type { NodeSetState } from "../../provider/core/node-set-state";
import { HttpError } from "../../provider/client";
import { failure } from "../../provider/engine/node-set-outcome";
import { checked, createSet, declare, provider, useProviderEmulator } from "./harness";

useProviderEmulator();

describe("the errors of the resource layer", () => {
  it("only a partial failure has an `id` (the provider host records a set with an id in state)", () => {
    const made: [string, Error][] = [
      ["NodeSetPartialFailure", new errors.NodeSetPartialFailure("m", "id", {} as NodeSetState, [])],
      [
        "UncertainCreateError",
        new errors.UncertainCreateError("r-0", new Error("lost"), new Error("listing")),
      ],
      ["DiffRefusalError", new errors.DiffRefusalError("m", "cyclecloud: p")],
    ];
    expect(made.map(([, error]) => error.name)).toEqual(made.map(([name]) => name));
    expect(made.filter(([, error]) => "id" in error).map(([name]) => name)).toEqual([
      "NodeSetPartialFailure",
    ]);
  });

  it("a refusal of diff prints as its one-line pointer, with no stack trace", () => {
    const error = new errors.DiffRefusalError(
      "cyclecloud workers: the reason",
      "cyclecloud: preflight refused the update",
    );
    expect([`${error}`, error.stack, error.message]).toEqual([
      "cyclecloud: preflight refused the update",
      "the reason is the node set's error",
      "cyclecloud workers: the reason",
    ]);
  });

  it("a failed destroy or refresh prints as a pointer (the host prints it before the set's error), not twice with a stack", () => {
    const cause = new Error("CycleCloud answered 500");
    const destroy = failure({ kind: "delete", set: "workers", action: "terminate" }, cause, {
      cluster: "hpc",
      held: 2,
    });
    expect([`${destroy}`, destroy.stack]).toEqual([
      "cyclecloud workers: destroy failed",
      "the reason is the node set's error",
    ]);
    expect(destroy.message).toContain(
      "workers: destroy (terminate its nodes) failed: CycleCloud answered 500",
    );
    const create = failure({ kind: "create", set: "workers", spec: "2 x F2" }, cause, {
      cluster: "hpc",
      held: 0,
    });
    expect(`${create}`).toBe(`Error: ${create.message}`);
  });

  it("a create that fails before any node exists fails with a message over its cause, not a partial failure", async () => {
    const inputs = await checked(
      declare({ count: 1, preflight: "off", adoptExisting: { nodeIds: ["no-such-node"] } }),
    );
    const error = await provider.create(inputs).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(errors.NodeSetPartialFailure);
    const cause = (error as Error).cause;
    expect((error as Error).message).toContain((cause as Error).message);
    expect((cause as Error).message).toBe(
      "`adoptExisting.nodeIds`: cluster 'hpc' has no node no-such-node: fix the list of node ids",
    );
  });

  it("a create CycleCloud refuses fails over the client's error, not a partial failure", async () => {
    const inputs = await checked(declare({ count: 1, machineType: "Standard_HC44rs", preflight: "off" }));
    const error = await provider.create(inputs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(errors.NodeSetPartialFailure);
    expect((error as Error).cause).toBeInstanceOf(HttpError);
  });

  it("a create CycleCloud added no node for fails over the capacity shortfall", async () => {
    // The seed's Standard_Fs32_v2 bucket holds 3 more nodes: a first set takes them all.
    await createSet(declare({ count: 3 }));
    const inputs = await checked(declare({ count: 1, preflight: "off" }));
    const error = await provider.create(inputs).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(errors.NodeSetPartialFailure);
    const cause = (error as Error).cause;
    expect((error as Error).message).toContain((cause as Error).message);
    expect((cause as Error).message).toMatch(
      /^CycleCloud added 0 of 1 requested node\(s\).*: free capacity in the cluster or lower `count`, then run `pulumi up` again$/,
    );
  });
});
