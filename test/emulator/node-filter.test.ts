import { describe, expect, test } from "vitest";
import { compileNodeFilter, FilterSyntaxError } from "../../emulator/store/node-filter";

const READY = { Name: "ondemand-1", State: "Started", CoreCount: 44, KeepAlive: false, Hostname: null };
const ACQUIRING = { Name: "ondemand-2", State: "Acquiring", CoreCount: 32, KeepAlive: true };

describe("compileNodeFilter", () => {
  test.each([
    ['State === "Started"', [true, false]],
    ["State == 'Acquiring'", [false, true]],
    ['State !== "Started"', [false, true]],
    ["CoreCount != 44", [false, true]],
    ["CoreCount === 44 && KeepAlive === false", [true, false]],
    ['Name === "nope" || KeepAlive == true', [false, true]],
    ['(Name === "ondemand-1" || Name === "ondemand-2") && CoreCount === 32', [false, true]],
    ['State === "Started" || State === "Acquiring" && CoreCount === 44', [true, false]],
    ["Hostname === null", [true, true]],
    ["Missing == undefined", [true, true]],
    ['Name === "say \\"hi\\""', [false, false]],
    ["CoreCount === -1.5", [false, false]],
    ['Name in {"ondemand-2", "ondemand-9"}', [false, true]],
    ["CoreCount in {44} && State in {'Started'}", [true, false]],
    ["Name in {}", [false, false]],
    ['Name in {"ondemand-1",}', [true, false]],
  ])("%s", (source, expected) => {
    const filter = compileNodeFilter(source);
    expect([filter(READY), filter(ACQUIRING)]).toEqual(expected);
  });

  test.each([
    ["", "expected a node attribute name but found end of expression"],
    ["State", "expected ===, ==, !==, != or in after State but found end of expression"],
    ['Name in "x"', 'expected "{" after Name in but found "x"'],
    ["Name in {State}", "expected a string, number, boolean or null in the set but found State"],
    ['Name in {"a" "b"}', 'expected "," or "}" in the set but found "b"'],
    ['State = "Started"', 'unexpected character "=" at offset 6'],
    ["State === Started", "expected a string, number, boolean or null after === but found Started"],
    ['(State === "Started"', 'expected ")" but found end of expression'],
    ['State === "Started" Name', "unexpected Name at the end"],
    ['"Started" === State', 'expected a node attribute name but found "Started"'],
    ["Name.startsWith('x')", 'unexpected character "." at offset 4'],
  ])("rejects %j: %s", (source, message) => {
    expect(() => compileNodeFilter(source)).toThrow(new FilterSyntaxError(message));
  });
});
