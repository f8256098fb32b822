/** `pulumi-cyclecloud` arguments: no command prints the usage; a wrong one names it. */
import { describe, expect, test } from "vitest";
import { main, PLAN_USAGE } from "../../provider/plan/cli";

async function cli(argv: readonly string[]) {
  let out = "";
  let err = "";
  const code = await main(
    argv,
    (text) => void (out += text),
    (text) => void (err += text),
  );
  return { code, out, err };
}

describe("pulumi-cyclecloud arguments", () => {
  test("no arguments: the usage, exit 2", async () => {
    expect(await cli([])).toEqual({ code: 2, out: "", err: PLAN_USAGE });
  });

  test("--help: the usage on stdout, exit 0", async () => {
    expect(await cli(["--help"])).toEqual({ code: 0, out: PLAN_USAGE, err: "" });
  });

  test("an unknown command is named, then the usage", async () => {
    const result = await cli(["plna"]);
    expect(result.code).toBe(2);
    expect(result.err).toBe(`Unknown command "plna"\n\n${PLAN_USAGE}`);
  });

  test("--json and --markdown together", async () => {
    expect(await cli(["plan", "--json", "--markdown"])).toEqual({
      code: 2,
      out: "",
      err: "Give --json or --markdown, not both\n",
    });
  });
});
