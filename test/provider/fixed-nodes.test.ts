/**
 * Sets whose nodes are `Fixed: true`: CycleCloud keeps their records on termination ("Nodes with
 * the Fixed attribute set to true aren't removed on termination"), as `Off` with `TargetState`
 * `Terminated` and no addresses. The set counts such a node as terminated (its VM is gone) and
 * leaves the record the user asked CycleCloud to keep.
 */
import { describe, expect, it } from "vitest";
import type { NodeSetState } from "../../provider/core/node-set-state";
import {
  checked,
  configureFor,
  createSet,
  declare,
  output,
  provider,
  startTestEmulator,
  useProviderEmulator,
} from "./harness";

const env = useProviderEmulator();

const fixedSet = (overrides: Record<string, unknown> = {}) =>
  declare({ nodeAttributes: { Fixed: true }, deleteTimeoutSeconds: 20, ...overrides });

function records(requestIds: readonly string[]) {
  return env.emu
    .nodes()
    .filter((n) => n.requestId !== null && requestIds.includes(n.requestId))
    .map((n) => n.record);
}

describe("Fixed nodes", () => {
  it("destroy finishes promptly, leaving only the kept Off records (no VM, no address)", async () => {
    const { id, state } = await createSet(fixedSet({ count: 2 }));
    const started = Date.now();
    await provider.delete(id, state);
    expect(Date.now() - started).toBeLessThan(5_000);
    const left = records(state.requestIds);
    expect(left.map((r) => [r.Name, r.Status, r.TargetState, r.PrivateIp ?? null])).toEqual([
      ["ondemand-1", "Off", "Terminated", null],
      ["ondemand-2", "Off", "Terminated", null],
    ]);
    expect(output.info.filter((line) => line.includes("kept"))).toEqual([
      expect.stringMatching(
        /: 2 terminated node record\(s\) kept \(Off\) because the nodes are Fixed; their VMs are gone: ondemand-1, ondemand-2$/,
      ),
    ]);
  });

  it("shrink finishes promptly; the kept record is not a member, and a destroy after it finishes too", async () => {
    const news = fixedSet({ count: 3 });
    const { id, state } = await createSet(news);
    const started = Date.now();
    const shrunk = (await provider.update(id, state, await checked({ ...news, count: 2 }, state)))
      .outs as NodeSetState;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(shrunk.nodes.map((n) => n.name)).toEqual(["ondemand-1", "ondemand-2"]);
    expect(shrunk.readyCount).toBe(2);
    expect(output.info.some((line) => line.includes("1 terminated node record(s) kept (Off)"))).toBe(true);

    const refreshed = (await provider.read(id, shrunk)).props as NodeSetState;
    expect(refreshed.nodes.map((n) => n.name)).toEqual(["ondemand-1", "ondemand-2"]);
    const diff = await provider.diff(id, refreshed, await checked({ ...news, count: 2 }, refreshed));
    expect(diff.changes).toBe(false);

    await provider.delete(id, refreshed);
    expect(records(refreshed.requestIds).map((r) => r.Status)).toEqual(["Off", "Off", "Off"]);
  });

  it("destroy waits while Fixed nodes are still Terminating, then finishes", async () => {
    const slow = await startTestEmulator({ acquiringMs: 0, preparingMs: 0, terminatingMs: 300 });
    try {
      await configureFor(slow);
      const { id, state } = await createSet(fixedSet({ count: 1 }));
      await provider.delete(id, state);
      const left = slow.nodes().filter((n) => n.requestId !== null && state.requestIds.includes(n.requestId));
      expect(left.map((n) => [n.record.Status, n.record.TargetState])).toEqual([["Off", "Terminated"]]);
      expect(output.info.some((line) => line.includes("1 terminated node record(s) kept (Off)"))).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it("onDelete deallocate still deallocates Fixed nodes", async () => {
    const { id, state } = await createSet(fixedSet({ count: 1, onDelete: "deallocate" }));
    await provider.delete(id, state);
    expect(records(state.requestIds).map((r) => r.Status)).toEqual(["Deallocated"]);
  });
});
