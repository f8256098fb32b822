/**
 * The other provider tests poll every 20-50 ms (TEST_TUNING); this one runs a create and a delete
 * with the production tuning (a provider with an empty environment and no override), so what a
 * provider process really does is tested too. About 1 s: one production poll delay (the nodes take
 * 0.6 s, less than the 1 s the provider waits before it polls again).
 */
import { describe, expect, it } from "vitest";
import { configureFor, createSet, declare, liveNodes, output, provider, startTestEmulator } from "./harness";

describe("a provider with the production tuning", () => {
  it("creates a set, waiting one production poll delay (1 s) for its nodes, and deletes it", async () => {
    const emu = await startTestEmulator({ acquiringMs: 600, preparingMs: 0, terminatingMs: 0 });
    try {
      await configureFor(emu, { tuning: {} });
      const started = Date.now();
      const { id, state } = await createSet(declare({ count: 2 }));
      const took = Date.now() - started;
      expect(state.nodes.map((n) => n.status)).toEqual(["Ready", "Ready"]);
      // The first poll saw the nodes acquiring; the next came after the production minimum of 1 s.
      expect(output.info).toContainEqual(expect.stringMatching(/: 0\/2 ready, 2 acquiring \(\d+s\)$/));
      expect(took).toBeGreaterThanOrEqual(1000);
      expect(took).toBeLessThan(5000);
      await provider.delete(id, state);
      expect(liveNodes(emu, state.requestIds)).toEqual([]);
    } finally {
      await emu.close();
    }
  });
});
