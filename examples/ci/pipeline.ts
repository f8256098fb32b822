/**
 * The program a CI pipeline runs (see .github/workflows/cyclecloud.yml), over the Automation API:
 *
 *   rehearse  `pulumi up` then `destroy` of the production stack's program on a throwaway stack
 *             pointed at a replica of production (an emulator started with --from-status), so
 *             no credential to production is needed;
 *   plan      the capacity plan of the production stack, as Markdown for a pull-request comment
 *             (exit code 1 when preflight refuses an increase);
 *   deploy    `pulumi up` of the production stack, only when the plan fits.
 *
 * Usage: ts-node pipeline.ts rehearse|plan|deploy --project DIR --stack NAME [--out FILE]
 * The replica's URL and credentials come from REPLICA_URL, REPLICA_USERNAME, REPLICA_PASSWORD.
 */
import { writeFile } from "node:fs/promises";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { capacityPlan, renderMarkdown } from "pulumi-cyclecloud";
import type { CapacityPlan } from "pulumi-cyclecloud";

/** A CycleCloud server (or emulator) to point a stack at. */
export interface Endpoint {
  readonly url: string;
  readonly username: string;
  readonly password: string;
}

export interface PipelineOptions {
  /** The Pulumi project of the production stack. */
  readonly project: string;
  readonly stack: string;
  /** Environment of the `pulumi` CLI (backend, passphrase, ...). @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

function envVars(options: PipelineOptions): Record<string, string> {
  return Object.fromEntries(
    Object.entries(options.env ?? process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

const CONNECTION_KEYS = new Set(["cyclecloud:url", "cyclecloud:username", "cyclecloud:password"]);

/**
 * `pulumi up` and `destroy` of the production stack's program on `<stack>-rehearsal`, a stack
 * with production's config but pointed at `replica`; the rehearsal stack is removed afterwards.
 * Returns the node count the rehearsal created.
 */
export async function rehearse(options: PipelineOptions, replica: Endpoint): Promise<number> {
  const workDir = options.project;
  const opts = { envVars: envVars(options) };
  const production = await LocalWorkspace.selectStack({ stackName: options.stack, workDir }, opts);
  const config = await production.getAllConfig();
  const name = `${options.stack}-rehearsal`;
  const rehearsal = await LocalWorkspace.createOrSelectStack({ stackName: name, workDir }, opts);
  try {
    const copied = Object.fromEntries(Object.entries(config).filter(([key]) => !CONNECTION_KEYS.has(key)));
    await rehearsal.setAllConfig({
      ...copied,
      "cyclecloud:url": { value: replica.url },
      "cyclecloud:username": { value: replica.username },
      "cyclecloud:password": { value: replica.password, secret: true },
    });
    const up = await rehearsal.up({ color: "never" });
    await rehearsal.destroy({ color: "never" });
    return up.summary.resourceChanges?.create ?? 0;
  } finally {
    await rehearsal.workspace.removeStack(name, { force: true });
  }
}

/** The capacity plan of the production stack; with `out`, its Markdown is written there. */
export async function plan(options: PipelineOptions, out?: string): Promise<CapacityPlan> {
  const result = await capacityPlan({ stack: options.stack, cwd: options.project, env: options.env });
  if (out !== undefined) await writeFile(out, renderMarkdown(result));
  return result;
}

/** `pulumi up` of the production stack when its plan fits; otherwise throws with the plan. */
export async function deploy(options: PipelineOptions): Promise<CapacityPlan> {
  const result = await plan(options);
  if (!result.fits) {
    throw new Error(`The capacity plan does not fit; not deploying:\n${renderMarkdown(result)}`);
  }
  const stack = await LocalWorkspace.selectStack(
    { stackName: options.stack, workDir: options.project },
    { envVars: envVars(options) },
  );
  await stack.up({ color: "never", onOutput: (text) => process.stdout.write(text) });
  return result;
}

function argument(argv: readonly string[], name: string): string | undefined {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command] = argv;
  const project = argument(argv, "--project") ?? process.cwd();
  const stack = argument(argv, "--stack");
  if (stack === undefined) throw new Error("--stack NAME is required");
  const options: PipelineOptions = { project, stack };
  switch (command) {
    case "rehearse": {
      const { REPLICA_URL: url, REPLICA_USERNAME: username, REPLICA_PASSWORD: password } = process.env;
      if (!url || !username || !password)
        throw new Error("set REPLICA_URL, REPLICA_USERNAME and REPLICA_PASSWORD");
      const created = await rehearse(options, { url, username, password });
      process.stdout.write(`rehearsal: up created ${created} resource(s), destroy removed them\n`);
      return 0;
    }
    case "plan": {
      const result = await plan(options, argument(argv, "--out"));
      process.stdout.write(renderMarkdown(result));
      return result.fits ? 0 : 1;
    }
    case "deploy":
      await deploy(options);
      return 0;
    default:
      throw new Error(`unknown command ${JSON.stringify(command)}: rehearse, plan or deploy`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
