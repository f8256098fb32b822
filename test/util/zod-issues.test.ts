import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formatIssuePath, formatIssues } from "../../wire/util/zod-issues";

const paths: [PropertyKey[], string][] = [
  [[], "(root)"],
  [["count"], "count"],
  [[0], "[0]"],
  [["sets", 0, "count"], "sets[0].count"],
  [["clusters", 1, "nodearrays", 0, "name"], "clusters[1].nodearrays[0].name"],
  [["a b", "c-d"], "a b.c-d"],
  [[Symbol("key"), 2], "Symbol(key)[2]"],
];

describe("formatIssuePath", () => {
  it.each(paths)("writes %j as %s", (path, expected) => {
    expect(formatIssuePath(path)).toBe(expected);
  });
});

describe("formatIssues", () => {
  const schema = z.object({ sets: z.array(z.object({ count: z.number().int().min(1), name: z.string() })) });

  function errorOf(value: unknown): z.ZodError {
    const result = schema.safeParse(value);
    if (result.success) {
      throw new Error("expected the value to be invalid");
    }
    return result.error;
  }

  it("names the path of each bad value, one issue after another", () => {
    const error = errorOf({
      sets: [
        { count: 0, name: "a" },
        { count: 1, name: 7 },
      ],
    });

    expect(formatIssues(error)).toBe(
      "sets[0].count: Too small: expected number to be >=1; sets[1].name: Invalid input: expected string, received number",
    );
  });

  it("calls the root (root)", () => {
    const error = errorOf("not an object");

    expect(formatIssues(error)).toBe("(root): Invalid input: expected object, received string");
  });
});
