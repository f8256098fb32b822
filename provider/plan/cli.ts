#!/usr/bin/env node
/** `pulumi-cyclecloud plan`: the capacity plan of a preview (see {@link PLAN_USAGE}). */
import { parseArgs } from "node:util";
import { MAX_MESSAGE_LENGTH, errorText, jsonText, plainText } from "../../wire/util/server-text";
import { capacityPlan } from "./capacity-plan";
import { renderMarkdown, renderTable } from "./render-plan";

export const PLAN_USAGE = `Usage: pulumi-cyclecloud plan [--stack NAME] [--cwd DIR] [--json | --markdown]

Runs \`pulumi preview\` of the stack and prints its capacity plan: per node set the action and
node counts; per increase of a set in a bucket, as the set's own preflight judged it in that
preview (through the set's own connection), what can be added before it, what it requests (new
sets, growth, replacements, failed or missing nodes an update re-creates), what is left after
(negative: short by that many), the binding limit and whether it fits. The preview's warnings go
to stderr.

  --stack NAME   the stack (default: the selected one)
  --cwd DIR      the Pulumi project folder (default: the current directory)
  --json         one JSON object { stack, fits, refused, changes, buckets, warnings }
  --markdown     Markdown tables (for a pull-request comment)

Exit code: 0 preflight refuses no increase (a set with \`preflight: "warn"\` whose
increase does not fit only warns), 1 preflight refuses one, 2 any other error.
`;

const OPTIONS = {
  stack: { type: "string" },
  cwd: { type: "string" },
  json: { type: "boolean" },
  markdown: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Runs the command; returns the exit code. */
export async function main(
  argv: readonly string[],
  out: (text: string) => void = (text) => process.stdout.write(text),
  err: (text: string) => void = (text) => process.stderr.write(text),
): Promise<number> {
  const fail = (text: string) => {
    err(text);
    return 2;
  };
  let args;
  try {
    args = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true });
  } catch (error) {
    return fail(`${errorText(error)}\n\n${PLAN_USAGE}`);
  }
  const { values, positionals } = args;
  if (values.help === true) {
    out(PLAN_USAGE);
    return 0;
  }
  if (positionals.length === 0) return fail(PLAN_USAGE);
  if (positionals.length !== 1 || positionals[0] !== "plan")
    return fail(`Unknown command ${JSON.stringify(positionals.join(" "))}\n\n${PLAN_USAGE}`);
  if (values.json === true && values.markdown === true) return fail("Give --json or --markdown, not both\n");
  try {
    const plan = await capacityPlan({ stack: values.stack, cwd: values.cwd });
    // As the preview shows them (insecure TLS, plain http, the sets' warnings); stdout stays the plan.
    for (const warning of plan.warnings) err(`warning: ${warning}\n`);
    out(
      values.json === true
        ? `${jsonText(plan)}\n`
        : values.markdown === true
          ? renderMarkdown(plan)
          : renderTable(plan),
    );
    return plan.refused ? 1 : 0;
  } catch (error) {
    return fail(`pulumi-cyclecloud plan: ${errorText(error, { lines: true })}\n`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`pulumi-cyclecloud plan: ${plainText(String(error), MAX_MESSAGE_LENGTH)}\n`);
      process.exitCode = 2;
    },
  );
}
