/**
 * Hostile server text in a capacity plan (a nodearray's name and a machine type in both tables, a
 * set's error) as the terminal table, `--markdown` and `--json` show it.
 */
import { describe, expect, it } from "vitest";
import { jsonText } from "../../wire/util/server-text";
import { renderMarkdown, renderTable } from "../../provider/plan/render-plan";
import type { CapacityPlan } from "../../provider/plan/plan-types";
import { HOSTILE } from "../fixtures/hostile-text";

/** No terminal escape, control or format character (a line break only between lines). */
// eslint-disable-next-line no-control-regex -- the characters looked for
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

function hostilePlan(text: string, bucketFits = true): CapacityPlan {
  return {
    stack: "prod",
    fits: false,
    refused: true,
    changes: [
      {
        name: "w",
        urn: "urn:pulumi:prod::p::cyclecloud:index:CycleCloudNodeSet::w",
        cluster: "hpc",
        nodearray: text,
        machineType: text,
        action: "update",
        from: 1,
        to: 2,
        error: text,
      },
    ],
    buckets: [
      {
        set: "w",
        cluster: "hpc",
        nodearray: text,
        machineType: text,
        availableNow: 5,
        requested: 1,
        availableAfter: 4,
        bindingLimit: "bucket availableCount",
        fits: bucketFits,
        line: text,
      },
    ],
    warnings: [],
  };
}

describe.each(HOSTILE)("$what", ({ text, name, message, nameCell, json }) => {
  it("terminal table: the cells and the error line as plain text", () => {
    const output = renderTable(hostilePlan(text));
    expect(output).not.toMatch(UNSAFE);
    const lines = output.split("\n");
    expect(lines).toHaveLength(13);
    expect(lines[0]).toBe("Capacity plan of stack prod");
    expect(lines[4]?.split(/ {2,}/)).toEqual(["w", "hpc", name, name, "update", "1", "2"]);
    expect(lines[8]?.split(/ {2,}/)).toEqual([
      "w",
      "hpc",
      name,
      name,
      "5",
      "1",
      "4",
      "bucket availableCount",
      "yes",
    ]);
    expect(lines.slice(10)).toEqual([
      "Some increase does not fit: preflight refuses it (see the binding limit).",
      `w: ${message}`,
      "",
    ]);
  });

  it("terminal table: a refused bucket's preflight line as plain text", () => {
    const lines = renderTable(hostilePlan(text, false)).split("\n");
    expect(lines.slice(10)).toEqual([
      "Some increase does not fit: preflight refuses it (see the binding limit).",
      `w: ${message}`,
      `w: ${message}`,
      "",
    ]);
  });

  it("--markdown: the cells as text, never HTML, links, mentions or a broken table", () => {
    const lines = renderMarkdown(hostilePlan(text)).split("\n");
    expect(lines).not.toContainEqual(expect.stringMatching(UNSAFE));
    expect(lines[4]).toBe(`| w | hpc | ${nameCell} | ${nameCell} | update | 1 | 2 |`);
    expect(lines[8]).toBe(
      `| w | hpc | ${nameCell} | ${nameCell} | 5 | 1 | 4 | bucket availableCount | yes |`,
    );
  });

  it("--json: the strings kept as data, escapes written as \\u sequences", () => {
    const written = jsonText(hostilePlan(text));
    expect(written).toContain(`"nodearray": ${json},\n`);
    expect(written).toContain(`"error": ${json}\n`);
    expect(written).not.toMatch(UNSAFE);
    expect(JSON.parse(written)).toEqual(hostilePlan(text));
  });
});

describe("--markdown: the error line quoted as a code span", () => {
  it.each([
    ["ok\nerror: forged", "> `w: ok error: forged`"],
    ["<img src=x onerror=alert(1)>", "> `w: <img src=x onerror=alert(1)>`"],
    ["[click](https://evil)", "> `w: [click](https://evil)`"],
    ["![i](https://evil/x.png)", "> `w: ![i](https://evil/x.png)`"],
    ["@everyone <https://evil>", "> `w: @everyone <https://evil>`"],
    ["a | b", "> `w: a | b`"],
    ["a`b``c", "> ```w: a`b``c```"],
    ["`x`", "> `` w: `x` ``"],
    ["a\u001b[2J\u202eb", "> `w: ab`"],
  ])("%j", (text, line) => {
    const lines = renderMarkdown(hostilePlan(text)).split("\n");
    expect(lines.slice(-3)).toEqual([
      "Some increase does not fit: preflight refuses it (see the binding limit).",
      line,
      "",
    ]);
  });
});
