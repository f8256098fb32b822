/**
 * Every shell command the documentation shows is checked, so that none can rot (issue 24, item 5).
 *
 * Commands are taken from the fenced code blocks (`sh`, `bash`, `shell`, `console`; in a block
 * without a language, only lines that start with a known command) of README.md,
 * emulator/README.md, bench/README.md, test/reliability/README.md and every docs/**\/*.md, and
 * from the usage lines at the top of test/reliability/crash-trials.js. Each is classified by its
 * text (not by file or line, so the docs can move), by the first rule of {@link RULES} that
 * matches:
 *
 * - `run`: run for real with a short budget (the emulator CLI is started, answers, and stops on
 *   SIGTERM; placeholders such as a snapshot file are made first);
 * - `args`: the script exists and its own argument parser accepts the flags (`--check-args`,
 *   `--help`, or its exported parser); for runs too long for a test;
 * - `skip`: cannot run here, with the reason.
 *
 * A command no rule matches fails the test until it is classified here. Needs `dist/` (npm run
 * build).
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startEmulator } from "../../emulator";
import { parseCliArgs } from "../../emulator/server/cli-args";

const REPO = join(__dirname, "..", "..");
const execFileAsync = promisify(execFile);
const DOCS = ["README.md", "emulator/README.md", "bench/README.md", "test/reliability/README.md"];
const SHELL_LANGUAGES = new Set(["sh", "bash", "shell", "console", "zsh"]);
/** In a block without a language, a line starting with one of these is a command. */
const COMMAND_WORDS = /^(\$ )?(npm|npx|node|pulumi|curl|cyclecloud-emulator|pulumi-cyclecloud)\b/;

/** docs/**\/*.md and the fixed list, as paths relative to the repository. */
function documentationFiles(): string[] {
  const found: string[] = [];
  const walk = (folder: string): void => {
    if (!existsSync(folder)) return;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".md")) found.push(relative(REPO, full));
    }
  };
  walk(join(REPO, "docs"));
  return [...DOCS, ...found.sort()];
}

interface DocumentedCommand {
  readonly text: string;
  /** Where it was seen first (for the failure message only). */
  readonly where: string;
}

/** The commands of one Markdown text: continuation lines joined, comments and prompts removed. */
export function commandsOf(markdown: string): string[] {
  const commands: string[] = [];
  let language: string | null = null;
  let pending = "";
  for (const line of markdown.split("\n")) {
    const fence = /^\s*(```|~~~)\s*([\w-]*)/.exec(line);
    if (fence !== null) {
      language = language === null ? (fence[2] ?? "") : null;
      pending = "";
      continue;
    }
    if (language === null) continue;
    const shell = SHELL_LANGUAGES.has(language);
    if (!shell && language !== "" && language !== "text") continue;
    let text = `${pending}${line.trim()}`.trim();
    if (text.endsWith("\\")) {
      pending = `${text.slice(0, -1).trim()} `;
      continue;
    }
    pending = "";
    text = text
      .replace(/^\$\s+/, "")
      .replace(/\s+#.*$/, "")
      .trim();
    if (text === "" || text.startsWith("#")) continue;
    if (!shell && !COMMAND_WORDS.test(text)) continue;
    commands.push(text);
  }
  return commands;
}

/** The usage lines of crash-trials.js's header comment (`  node test/reliability/crash-trials.js …`). */
function crashTrialsUsage(): string[] {
  const header = readFileSync(join(REPO, "test/reliability/crash-trials.js"), "utf8").split("*/")[0] ?? "";
  return header
    .split("\n")
    .map((line) => line.replace(/^\s*\*\s?/, "").trim())
    .filter((line) => /^(npm run build && )?node test\/reliability\/crash-trials\.js/.test(line))
    .map((line) => line.replace(/^npm run build && /, ""));
}

function documentedCommands(): DocumentedCommand[] {
  const seen = new Map<string, DocumentedCommand>();
  const add = (text: string, where: string): void => {
    if (!seen.has(text)) seen.set(text, { text, where });
  };
  for (const file of documentationFiles()) {
    for (const text of commandsOf(readFileSync(join(REPO, file), "utf8"))) add(text, file);
  }
  for (const text of crashTrialsUsage()) add(text, "test/reliability/crash-trials.js");
  return [...seen.values()];
}

// ------------------------------------------------------------------------------------------------

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node args…` in the repository; resolves on exit (killed after `budgetMs`). */
function node(args: readonly string[], budgetMs = 20_000): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), budgetMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Splits a command line into words (no quotes are used by the documented commands we split). */
function words(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== "");
}

/** Removes synopsis brackets: `[--x Y]` optional groups and `[--json | --markdown]` alternatives. */
function withoutOptionalGroups(args: readonly string[]): string[] {
  return words(args.join(" ").replace(/\[[^\]]*\]/g, " "));
}

/** The npm script's command of `npm run NAME`, from package.json. */
function npmScript(name: string): string {
  const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const script = pkg.scripts[name];
  if (script === undefined) throw new Error(`package.json has no script ${name}`);
  return script;
}

/** `npm run NAME -- ARGS`: the node script it ends in and the ARGS passed on to it. */
function npmRunTarget(text: string): { script: string; args: string[] } {
  const [, name = "", rest = ""] = /^npm run (\S+)(?:\s+--\s+(.*))?$/.exec(text) ?? [];
  const command = npmScript(name).split("&&").at(-1)?.trim() ?? "";
  const [, script = ""] = /^node (\S+)/.exec(command) ?? [];
  expect(script, `npm run ${name} ends in \`node FILE\``).not.toBe("");
  return { script, args: words(rest) };
}

// ---- the emulator CLI, run for real ------------------------------------------------------------

let scratch = "";
let snapshotFile = "";
beforeAll(async () => {
  expect(existsSync(join(REPO, "dist/emulator/cli.js")), "run `npm run build` first (npm test does)").toBe(
    true,
  );
  scratch = await mkdtemp(join(tmpdir(), "documented-commands-"));
  // A real status snapshot, as the documented curl command saves one.
  const emulator = await startEmulator({ timing: { acquiringMs: 0, preparingMs: 0, terminatingMs: 0 } });
  try {
    const auth = `Basic ${Buffer.from(`${emulator.username}:${emulator.password}`).toString("base64")}`;
    const response = await fetch(`${emulator.url}/clusters/hpc/status?nodes=true`, {
      headers: { Authorization: auth },
    });
    snapshotFile = join(scratch, "hpc.json");
    await writeFile(snapshotFile, await response.text());
  } finally {
    await emulator.close();
  }
});
afterAll(async () => {
  if (scratch !== "") await rm(scratch, { recursive: true, force: true });
});

/**
 * Starts `cyclecloud-emulator ARGS` (the built CLI), waits for its start line, checks it answers,
 * stops it with SIGTERM and expects exit code 0. Files named by `--from-status` are replaced by a
 * real snapshot; `--port N` by `--port 0`.
 */
async function runEmulator(args: readonly string[]): Promise<void> {
  const given = withoutOptionalGroups(args);
  // Its own parser accepts the documented arguments as written.
  expect(parseCliArgs(given, {}).kind).toBe("run");
  const runnable = given.map((word, i) => {
    if (given[i - 1] === "--port") return "0";
    if (given[i - 1] === "--from-status") return `${word.slice(0, word.indexOf("="))}=${snapshotFile}`;
    return word;
  });
  const child = spawn(process.execPath, ["dist/emulator/cli.js", ...runnable], {
    cwd: REPO,
    env: { PATH: process.env["PATH"] ?? "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  try {
    const firstLine = await new Promise<string>((resolve, reject) => {
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => {
        text += chunk.toString("utf8");
        const newline = text.indexOf("\n");
        if (newline >= 0) resolve(text.slice(0, newline));
      });
      child.once("close", () => reject(new Error(`exited before its start line: ${stderr}`)));
    });
    const url = runnable.includes("--json")
      ? (JSON.parse(firstLine) as { adminUrl: string }).adminUrl
      : `${/listening on (\S+)/.exec(firstLine)?.[1] ?? ""}/__emulator`;
    if (!runnable.includes("--no-admin") && !runnable.includes("--tls")) {
      expect((await fetch(`${url}/health`)).status).toBe(200);
    }
  } finally {
    child.kill("SIGTERM");
  }
  expect([await exited, stderr]).toEqual([0, ""]);
}

// ---- the rules ---------------------------------------------------------------------------------

type Check = (text: string) => Promise<void>;

interface Rule {
  readonly pattern: RegExp;
  readonly kind: "run" | "args" | "skip";
  /** For `skip`: why it cannot run here; otherwise what is checked. */
  readonly reason: string;
  readonly check?: Check;
}

/** `node FILE ARGS… --check-args` exits 0 (the script's own parser accepts ARGS). */
async function checkArgs(file: string, args: readonly string[]): Promise<void> {
  expect(existsSync(join(REPO, file)), `${file} exists`).toBe(true);
  const outcome = await node([file, ...args, "--check-args"]);
  expect(outcome.stderr).toBe("");
  expect(outcome.code).toBe(0);
}

const RULES: readonly Rule[] = [
  {
    pattern: /^npm ci$/,
    kind: "skip",
    reason: "installs node_modules from the registry (the checkout here has them)",
  },
  {
    pattern: /^npm run build$/,
    kind: "args",
    reason: "writes dist/ (built before this test, which needs it): the script compiles the build config",
    check: async () => {
      expect(npmScript("build")).toContain("tsc -p tsconfig.build.json");
    },
  },
  {
    pattern: /^npm pack$/,
    kind: "run",
    reason: "as --dry-run: the tarball would hold the built library, the guide and docs/",
    check: async () => {
      const { stdout } = await execFileAsync("npm", ["pack", "--dry-run", "--json"], { cwd: REPO });
      const [packed] = JSON.parse(stdout) as { files: { path: string }[] }[];
      expect(packed?.files.map((file) => file.path)).toEqual(
        expect.arrayContaining([
          "README.md",
          "docs/README.md",
          "emulator/README.md",
          "dist/provider/index.js",
        ]),
      );
    },
  },
  {
    pattern: /^npm install \S+\.tgz\b/,
    kind: "skip",
    reason:
      "installs the packed tarball with packages from the npm registry (test/e2e/packed-package.e2e.test.ts does)",
  },
  { pattern: /^npm test$/, kind: "skip", reason: "the whole test suite, which includes this test" },
  {
    pattern: /^npm run demo$/,
    kind: "args",
    reason: "runs pulumi preview/up/destroy (minutes, the Pulumi CLI): the script exists",
    check: async () => {
      const { script } = npmRunTarget("npm run demo");
      expect(existsSync(join(REPO, script)), `${script} exists`).toBe(true);
    },
  },
  {
    pattern: /^pulumi (config set|preview|up)\b/,
    kind: "skip",
    reason: "needs a Pulumi stack and a CycleCloud server (test/e2e runs these against the emulator)",
  },
  {
    pattern: /^curl\b/,
    kind: "skip",
    reason:
      "needs a CycleCloud server and its credentials (the snapshot it saves is made here from an emulator)",
  },
  {
    pattern: /^(npx )?cyclecloud-emulator\b.*--cert\b/,
    kind: "args",
    reason: "needs the user's certificate files: the CLI's parser accepts the arguments",
    check: async (text) => {
      expect(
        parseCliArgs(withoutOptionalGroups(words(text).slice(text.startsWith("npx") ? 2 : 1)), {}).kind,
      ).toBe("run");
    },
  },
  {
    pattern: /^(npx )?cyclecloud-emulator\b/,
    kind: "run",
    reason: "starts the built CLI, checks it answers, stops it with SIGTERM (exit 0)",
    check: (text) => runEmulator(words(text).slice(text.startsWith("npx") ? 2 : 1)),
  },
  {
    pattern: /^npm run emulator\b/,
    kind: "run",
    reason: "the npm script's CLI with the given arguments, started and stopped",
    check: async (text) => {
      const { script, args } = npmRunTarget(text);
      expect(script).toBe("dist/emulator/cli.js");
      await runEmulator(args);
    },
  },
  {
    pattern: /^npx pulumi-cyclecloud plan\b/,
    kind: "args",
    reason: "runs pulumi preview of a stack: its --help names every documented flag",
    check: async (text) => {
      const outcome = await node(["dist/provider/plan/cli.js", "--help"]);
      expect(outcome.code).toBe(0);
      for (const flag of text.match(/--[\w-]+/g) ?? []) {
        expect(outcome.stdout, `plan --help mentions ${flag}`).toContain(flag);
      }
    },
  },
  {
    pattern: /^(npm run bench|node bench\/run\.js)\b/,
    kind: "args",
    reason:
      "benchmarks take seconds to minutes (CI runs --quick): bench/run.js --check-args accepts the flags",
    check: async (text) => {
      const { script, args } = text.startsWith("npm")
        ? npmRunTarget(text)
        : { script: "bench/run.js", args: words(text).slice(2) };
      await checkArgs(script, args);
    },
  },
  {
    pattern: /^(npm run test:reliability|node test\/reliability\/campaign\.js)\b/,
    kind: "args",
    reason: "a campaign takes minutes (CI runs one): campaign.js's exported parser accepts the flags",
    check: async (text) => {
      const { script, args } = text.startsWith("npm")
        ? npmRunTarget(text)
        : { script: "test/reliability/campaign.js", args: words(text).slice(2) };
      expect(script).toBe("test/reliability/campaign.js");
      const campaign = (await import("../reliability/campaign.js")) as {
        parseArgs: (argv: string[]) => unknown;
      };
      expect(() => campaign.parseArgs(args)).not.toThrow();
    },
  },
  {
    pattern: /^node test\/reliability\/crash-trials\.js\b/,
    kind: "args",
    reason: "trials run the real pulumi CLI for minutes: crash-trials.js --check-args accepts the flags",
    check: (text) => checkArgs("test/reliability/crash-trials.js", words(text).slice(2)),
  },
];

function ruleFor(text: string): Rule | undefined {
  return RULES.find((rule) => rule.pattern.test(text));
}

// ---- the tests ---------------------------------------------------------------------------------

const COMMANDS = documentedCommands();

describe("documented commands", () => {
  test("are found (the extraction still works)", () => {
    expect(COMMANDS.length).toBeGreaterThanOrEqual(20);
    expect(COMMANDS.map((command) => command.text)).toContain("node bench/run.js --quick");
    expect(COMMANDS.map((command) => command.text)).toContain(
      "node test/reliability/crash-trials.js --seed 1 --rounds 10",
    );
  });

  test("are each classified: a new command needs a rule in this file", () => {
    const unclassified = COMMANDS.filter((command) => ruleFor(command.text) === undefined);
    expect(unclassified.map((command) => `${command.where}: ${command.text}`)).toEqual([]);
  });

  test.each(COMMANDS.map((command) => [command.text, command] as const))(
    "%s",
    async (_text, command) => {
      const rule = ruleFor(command.text);
      if (rule === undefined || rule.kind === "skip" || rule.check === undefined) {
        return;
      }
      await rule.check(command.text);
    },
    30_000,
  );
});

test("crash-trials.js accepts its own defaults (the kinds of the crash-safety test)", async () => {
  const outcome = await node(["test/reliability/crash-trials.js", "--check-args"]);
  expect([outcome.code, outcome.stderr, JSON.parse(outcome.stdout)]).toEqual([
    0,
    "",
    {
      seed: 1,
      rounds: 6,
      kinds: "create,grow,warm-shrink,warm-grow,shrink",
      kill: "mixed",
      scenarios: false,
    },
  ]);
  const bad = await node(["test/reliability/crash-trials.js", "--kinds", "create,bogus", "--check-args"]);
  expect([bad.code, bad.stderr]).toEqual([
    2,
    "crash-trials: --kinds: unknown kind bogus (create, grow, shrink, replace, warm-shrink, warm-grow)\n",
  ]);
});

test("commandsOf joins continuation lines and drops comments, prompts and output", () => {
  const markdown = [
    "```sh",
    "# a comment",
    'curl -fsS -u "$U:$P" \\',
    '  "$URL/status" > s.json',
    "npm run bench   # build, then run",
    "```",
    "```",
    "CycleCloud emulator listening on http://127.0.0.1:1",
    "$ npx cyclecloud-emulator --port 0",
    "```",
    "```ts",
    'import { x } from "y";',
    "```",
  ].join("\n");
  expect(commandsOf(markdown)).toEqual([
    'curl -fsS -u "$U:$P" "$URL/status" > s.json',
    "npm run bench",
    "npx cyclecloud-emulator --port 0",
  ]);
});
