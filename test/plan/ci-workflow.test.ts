/**
 * examples/ci/.github/workflows/cyclecloud.yml, read as YAML: what examples/ci/README.md promises
 * about it. Pull-request jobs run the pull request's code (its `npm ci`, its program in `rehearse`
 * and in the plan's preview): the only step of them that holds a secret is the plan step, in a job
 * behind a reviewed environment, with read-only credentials; the rehearsal holds none, has a stack
 * name and concurrency group of its own per pull request; every action is pinned to a commit;
 * every job asks for the least permissions; the `plan` flags the workflow uses are the CLI's.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { PLAN_USAGE } from "../../provider/plan/cli";

const REPO_ROOT = join(__dirname, "..", "..");
const WORKFLOW = join(REPO_ROOT, "examples", "ci", ".github", "workflows", "cyclecloud.yml");

const Step = z.object({
  name: z.string().optional(),
  uses: z.string().optional(),
  run: z.string().optional(),
  with: z.record(z.string(), z.unknown()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  "working-directory": z.string().optional(),
});
const Job = z.object({
  if: z.string(),
  needs: z.string().optional(),
  "runs-on": z.string(),
  environment: z.string().optional(),
  permissions: z.record(z.string(), z.string()),
  concurrency: z.object({ group: z.string(), "cancel-in-progress": z.boolean() }).optional(),
  env: z.record(z.string(), z.string()).optional(),
  steps: z.array(Step),
});
const Workflow = z.object({
  name: z.string(),
  on: z.record(z.string(), z.unknown()),
  permissions: z.record(z.string(), z.string()),
  env: z.record(z.string(), z.string()),
  jobs: z.record(z.string(), Job),
});
type Job = z.infer<typeof Job>;

const requireHere = createRequire(__filename);
const { load } = requireHere("js-yaml") as { load: (text: string) => unknown };
const text = readFileSync(WORKFLOW, "utf8");
const workflow = Workflow.parse(load(text));

const pullRequestJobs = Object.entries(workflow.jobs).filter(([, job]) =>
  job.if.includes("github.event_name == 'pull_request'"),
);

/** The `secrets.X` names a text refers to. */
const secretsIn = (value: unknown): string[] =>
  [...JSON.stringify(value ?? null).matchAll(/secrets\.([A-Z0-9_]+)/g)].map((m) => m[1] ?? "");

/** Steps that hold a secret, as `job/step name: SECRET,...`. */
function stepsWithSecrets(jobs: [string, Job][]): string[] {
  return jobs.flatMap(([id, job]) =>
    job.steps
      .filter((step) => secretsIn(step).length > 0)
      .map((step) => `${id}/${step.name ?? step.uses ?? "?"}: ${secretsIn(step).join(",")}`),
  );
}

describe("examples/ci workflow: pull-request jobs and secrets", () => {
  it("runs on pull_request, never pull_request_target, and on push to main", () => {
    expect(Object.keys(workflow.on)).toEqual(["pull_request", "push"]);
  });

  it("the pull-request jobs are rehearse, plan and comment, the push job is deploy", () => {
    expect(pullRequestJobs.map(([id]) => id)).toEqual(["rehearse", "plan", "comment"]);
    expect(workflow.jobs["deploy"]?.if).toBe("github.event_name == 'push'");
  });

  it("no secret is set for the whole workflow or a whole job: only for one step", () => {
    expect(secretsIn(workflow.env)).toEqual([]);
    for (const job of Object.values(workflow.jobs)) expect(secretsIn(job.env)).toEqual([]);
  });

  it("in pull-request jobs only the plan step holds secrets, read-only ones, behind a reviewed environment", () => {
    expect(stepsWithSecrets(pullRequestJobs)).toEqual([
      "plan/Capacity plan of production (pulumi preview, read-only): " +
        "PULUMI_READ_TOKEN,PULUMI_CONFIG_PASSPHRASE,CYCLECLOUD_URL,CYCLECLOUD_READONLY_USERNAME,CYCLECLOUD_READONLY_PASSWORD",
    ]);
    expect(workflow.jobs["plan"]?.environment).toBe("cyclecloud-plan");
    // Secrets are not given to forks' pull requests: the plan runs for branches of the repository.
    expect(workflow.jobs["plan"]?.if).toBe(
      "github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository",
    );
  });

  it("the deploy step alone holds production's write credentials, in the production environment", () => {
    expect(stepsWithSecrets([["deploy", workflow.jobs["deploy"] as Job]])).toEqual([
      "deploy/pulumi up, only when the capacity plan fits: " +
        "PULUMI_ACCESS_TOKEN,PULUMI_CONFIG_PASSPHRASE,CYCLECLOUD_URL,CYCLECLOUD_USERNAME,CYCLECLOUD_PASSWORD",
    ]);
    expect(workflow.jobs["deploy"]?.environment).toBe("production");
    expect(workflow.jobs["deploy"]?.concurrency).toEqual({
      group: "${{ github.workflow }}-production",
      "cancel-in-progress": false,
    });
  });

  it("the comment job, the only one that may write to the pull request, runs none of its code", () => {
    const comment = workflow.jobs["comment"] as Job;
    expect(comment.steps.map((s) => s.uses?.split("@")[0] ?? `run: ${s.run ?? ""}`)).toEqual([
      "actions/download-artifact",
      "marocchino/sticky-pull-request-comment",
      'run: exit "$(cat plan/exit-code)"',
    ]);
  });

  it("every job asks for the least permissions, the workflow for none", () => {
    expect(workflow.permissions).toEqual({});
    expect(
      Object.fromEntries(Object.entries(workflow.jobs).map(([id, job]) => [id, job.permissions])),
    ).toEqual({
      rehearse: { contents: "read" },
      plan: { contents: "read" },
      comment: { "pull-requests": "write" },
      deploy: { contents: "read" },
    });
  });

  it("every action is pinned to a full commit SHA, and checkout keeps no token", () => {
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    const uses = steps.flatMap((step) => (step.uses === undefined ? [] : [step.uses]));
    expect(uses).toHaveLength(12);
    for (const action of uses) expect(action).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
    const checkouts = steps.filter((step) => step.uses?.startsWith("actions/checkout@") === true);
    expect(checkouts.map((step) => step.with)).toEqual([
      { "persist-credentials": false },
      { "persist-credentials": false },
      { "persist-credentials": false },
    ]);
  });

  it("every npm ci skips install scripts", () => {
    const runs = Object.values(workflow.jobs).flatMap((job) => job.steps.map((step) => step.run ?? ""));
    const installs = runs.filter((run) => /\bnpm (ci|install|i)\b/.test(run));
    expect(installs).toEqual([
      "npm ci --ignore-scripts",
      "npm ci --ignore-scripts",
      "npm ci --ignore-scripts",
      "npm ci --ignore-scripts",
    ]);
  });
});

describe("examples/ci workflow: the rehearsal", () => {
  const rehearse = workflow.jobs["rehearse"] as Job;
  const script = rehearse.steps.map((step) => step.run ?? "").join("\n");

  it("holds no secret: a throwaway local backend and a passphrase of its own", () => {
    expect(secretsIn(rehearse)).toEqual([]);
    expect(script).toContain('echo "PULUMI_BACKEND_URL=file://$RUNNER_TEMP/pulumi-state" >> "$GITHUB_ENV"');
    expect(script).toContain('passphrase="$(openssl rand -hex 16)"');
  });

  it("a stack name and a concurrency group of its own per pull request", () => {
    expect(rehearse.env).toEqual({ REHEARSAL_STACK: "rehearsal-pr-${{ github.event.number }}" });
    expect(rehearse.concurrency).toEqual({
      group: "${{ github.workflow }}-rehearsal-pr-${{ github.event.number }}",
      "cancel-in-progress": false,
    });
    const call = rehearse.steps.find((step) => step.run?.includes("pipeline.ts rehearse") === true);
    expect(call?.run).toBe(
      'npx ts-node pipeline.ts rehearse --project "$GITHUB_WORKSPACE/$PROJECT" --stack "$REHEARSAL_STACK" --config-from rehearsal',
    );
  });
});

describe("examples/ci workflow: the plan command", () => {
  it("uses only flags `pulumi-cyclecloud plan` has", () => {
    const runs = Object.values(workflow.jobs).flatMap((job) => job.steps.map((step) => step.run ?? ""));
    const calls = runs.flatMap((run) =>
      [...run.matchAll(/npx pulumi-cyclecloud plan([^\n>]*)/g)].map((m) => m[1] ?? ""),
    );
    expect(calls.map((c) => c.trim())).toEqual(['--stack "$STACK" --markdown', '--stack "$STACK"']);
    for (const flag of calls.flatMap((c) => c.match(/--[a-z-]+/g) ?? [])) {
      expect(PLAN_USAGE).toContain(`  ${flag} `);
    }
  });
});
