import { describe, expect, test } from "vitest";
import { coreLimit, countLimit, fitUnder, partialAddMessage } from "../../emulator/capacity";

describe("capacity arithmetic", () => {
  test("a count limit leaves max minus used", () => {
    expect(countLimit("bucket", 11, 4)).toEqual({ description: "bucket", remaining: 7 });
  });

  test.each([
    [500, 208, 44, 6],
    [484, 0, 44, 11],
    [100, 0, 32, 3],
    [8800, 8756, 44, 1],
    [96, 96, 32, 0],
    [10, 20, 4, -3],
  ])(
    "a core limit of %i with %i used fits floor((max - used) / %i) = %i nodes",
    (max, used, vcpu, remaining) => {
      expect(coreLimit("cores", max, used, vcpu).remaining).toBe(remaining);
    },
  );

  test("the smallest limit binds, the first of equals wins, and the fit is never negative", () => {
    const a = countLimit("a", 3, 0);
    const b = countLimit("b", 5, 2);
    const c = countLimit("c", 10, 0);
    expect(fitUnder([c, a, b])).toEqual({ fit: 3, binding: a });
    const over = countLimit("over", 1, 4);
    expect(fitUnder([a, over])).toEqual({ fit: 0, binding: over });
    expect(fitUnder([])).toEqual({ fit: Number.MAX_SAFE_INTEGER, binding: undefined });
  });

  test("the partial-add message states added, requested and the reason", () => {
    expect(partialAddMessage(3, 4, "cluster hpc maxCount of 3 reached")).toBe(
      "Added 3 of 4 requested nodes: cluster hpc maxCount of 3 reached",
    );
  });
});
