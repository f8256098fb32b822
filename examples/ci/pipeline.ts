/**
 * The program a CI pipeline runs (see .github/workflows/cyclecloud.yml and README.md), over the
 * Automation API:
 *
 *   rehearse  `pulumi up` then `destroy` of the project's program on a new throwaway stack (e.g.
 *             `rehearsal-pr-42`) pointed at a replica of production (an emulator started with
 *             --from-status). Its config is its own: the plain config of a committed stack settings
 *             file (`Pulumi.rehearsal.yaml`, `--config-from rehearsal`), never production's, so
 *             neither production's credentials nor its config passphrase are needed. The stack is
 *             removed afterwards and the stack selected before is selected again.
 *   plan      the capacity plan of the production stack, as Markdown for a pull-request comment;
 *   deploy    `pulumi up` of the production stack, only when preflight refuses none of its increases
 *             (an increase of a `preflight: "warn"` set that does not fit only warns, as in `up`).
 *
 * Usage: ts-node pipeline.ts rehearse --project DIR --stack NEW_NAME [--config-from NAME]
 *        ts-node pipeline.ts plan|deploy --project DIR --stack NAME [--out FILE]
 * The replica's URL and credentials come from REPLICA_URL, REPLICA_USERNAME, REPLICA_PASSWORD.
 *
 * Exit code: 0 success (rehearse: `up` and `destroy` both succeeded; plan: preflight refuses no increase);
 * 1 plan or deploy: preflight refuses an increase (nothing deployed); 2 any other error, with its message
 * (rehearse: a stack of that name exists, its config holds a secret, or `up`/`destroy` failed).
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LocalWorkspace, Stack, StackAlreadyExistsError } from "@pulumi/pulumi/automation";
import type { StackSettingsConfigValue } from "@pulumi/pulumi/automation";
import { capacityPlan, renderMarkdown } from "pulumi-cyclecloud";
import type { CapacityPlan } from "pulumi-cyclecloud";

/** A CycleCloud server (or emulator) to point a stack at. */
export interface Endpoint {
  readonly url: string;
  readonly username: string;
  readonly password: string;
}

export interface PipelineOptions {
  /** The Pulumi project folder. */
  readonly project: string;
  /** The stack: production's for plan and deploy, the new rehearsal stack's for rehearse. */
  readonly stack: string;
  /** Environment of the `pulumi` CLI (backend, passphrase, ...). @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface RehearsalOptions extends PipelineOptions {
  /**
   * The stack whose settings file (`Pulumi.<name>.yaml` in the project) holds the rehearsal's
   * config. Only read: no such stack needs to exist. @default "rehearsal"
   */
  readonly configFrom?: string;
}

/** What a rehearsal did: resources `up` created and `destroy` deleted (the stack itself included). */
export interface Rehearsal {
  readonly stack: string;
  readonly created: number;
  readonly deleted: number;
}

/** A plan whose preflight refuses an increase: `deploy` deployed nothing (exit code 1). */
export class PlanDoesNotFitError extends Error {
  constructor(readonly plan: CapacityPlan) {
    super(`Preflight refuses an increase of the capacity plan; not deploying:\n${renderMarkdown(plan)}`);
    this.name = "PlanDoesNotFitError";
  }
}

function envVars(options: PipelineOptions): Record<string, string> {
  return Object.fromEntries(
    Object.entries(options.env ?? process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

const CONNECTION_KEYS = new Set(["cyclecloud:url", "cyclecloud:username", "cyclecloud:password"]);

/** True when a config value is (or holds) a `secure:` value, which only its own stack can decrypt. */
function holdsSecret(value: StackSettingsConfigValue): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (Object.prototype.hasOwnProperty.call(value, "secure")) return true;
  return Object.values(value as Record<string, StackSettingsConfigValue>).some(holdsSecret);
}

/**
 * `pulumi up` and `destroy` of the project's program on a new stack `options.stack`, with the
 * plain config of `Pulumi.<configFrom>.yaml` and pointed at `replica`. The stack is removed
 * afterwards (also when `up` or `destroy` fails) and the stack selected before is selected again.
 * Refuses, before creating anything, a stack name that exists (a rehearsal never touches a stack
 * it did not make) and a config file holding a secret.
 */
export async function rehearse(options: RehearsalOptions, replica: Endpoint): Promise<Rehearsal> {
  const configFrom = options.configFrom ?? "rehearsal";
  const workspace = await LocalWorkspace.create({ workDir: options.project, envVars: envVars(options) });
  const previous = (await workspace.stack())?.name;
  if (!existsSync(join(options.project, `Pulumi.${configFrom}.yaml`))) {
    throw new Error(
      `rehearse: no config file Pulumi.${configFrom}.yaml in ${options.project}; ` +
        "commit one with the plain config a rehearsal needs (or name another with --config-from)",
    );
  }
  const template = await workspace.stackSettings(configFrom);
  const config = Object.fromEntries(
    Object.entries(template.config ?? {}).filter(([key]) => !CONNECTION_KEYS.has(key)),
  );
  const secret = Object.keys(config).find((key) => holdsSecret(config[key]));
  if (secret !== undefined) {
    throw new Error(
      `rehearse: Pulumi.${configFrom}.yaml holds the secret ${secret}; a rehearsal's config must be ` +
        "plain (only its own stack could decrypt it): give it a plain stand-in value",
    );
  }
  const exists = new Error(
    `rehearse: stack ${options.stack} exists; a rehearsal makes its own stack and removes it, so ` +
      `name a new one (e.g. rehearsal-pr-<number>) or remove the leftover (pulumi stack rm ${options.stack})`,
  );
  // Listed first: `stack init` of an existing stack may fail on its passphrase before saying it exists.
  const stacks = await workspace.listStacks();
  if (stacks.some((s) => s.name === options.stack || s.name.endsWith(`/${options.stack}`))) throw exists;
  let stack: Stack;
  try {
    stack = await Stack.create(options.stack, workspace);
  } catch (error) {
    throw error instanceof StackAlreadyExistsError ? exists : error;
  }
  try {
    // `stack init` writes a settings file only for some secrets providers (the passphrase's salt).
    const own = existsSync(join(options.project, `Pulumi.${options.stack.split("/").pop() ?? ""}.yaml`))
      ? await workspace.stackSettings(options.stack)
      : {};
    await workspace.saveStackSettings(options.stack, { ...own, config });
    await stack.setAllConfig({
      "cyclecloud:url": { value: replica.url },
      "cyclecloud:username": { value: replica.username },
      "cyclecloud:password": { value: replica.password, secret: true },
    });
    const up = await stack.up({ color: "never" });
    const destroy = await stack.destroy({ color: "never" });
    return {
      stack: options.stack,
      created: up.summary.resourceChanges?.create ?? 0,
      deleted: destroy.summary.resourceChanges?.delete ?? 0,
    };
  } finally {
    await workspace.removeStack(options.stack, { force: true });
    if (previous !== undefined) await workspace.selectStack(previous);
  }
}

/** The capacity plan of the production stack; with `out`, its Markdown is written there. */
export async function plan(options: PipelineOptions, out?: string): Promise<CapacityPlan> {
  const result = await capacityPlan({ stack: options.stack, cwd: options.project, env: options.env });
  if (out !== undefined) await writeFile(out, renderMarkdown(result));
  return result;
}

/** `pulumi up` of the production stack when preflight refuses none of its plan; otherwise throws with the plan. */
export async function deploy(options: PipelineOptions): Promise<CapacityPlan> {
  const result = await plan(options);
  if (result.refused) throw new PlanDoesNotFitError(result);
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
      const configFrom = argument(argv, "--config-from");
      const done = await rehearse(configFrom === undefined ? options : { ...options, configFrom }, {
        url,
        username,
        password,
      });
      process.stdout.write(
        `rehearsal ${done.stack}: up created ${done.created} resource(s), destroy deleted ${done.deleted}; stack removed\n`,
      );
      return 0;
    }
    case "plan": {
      const result = await plan(options, argument(argv, "--out"));
      process.stdout.write(renderMarkdown(result));
      return result.refused ? 1 : 0;
    }
    case "deploy":
      try {
        await deploy(options);
        return 0;
      } catch (error) {
        if (!(error instanceof PlanDoesNotFitError)) throw error;
        process.stderr.write(`${error.message}\n`);
        return 1;
      }
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
