/**
 * Runs once before the end-to-end suite, in vitest's main process:
 * 1. makes the pinned Pulumi CLI available (scripts/pulumi-cli.sh: instant when cached, several
 *    minutes the first time, with its progress shown);
 * 2. stages a snapshot of the built package (package.json and dist/) with links to its
 *    dependencies, so the programs under test load this run's build even if `dist/` is rebuilt
 *    while the suite runs;
 * 3. reports (and with E2E_EXPECT_* checks) the `node` on PATH and the @pulumi/pulumi that the
 *    programs, the staged package and the dynamic provider host resolve.
 *
 * Switches for other versions (scripts/compat.sh sets them; unset, nothing changes):
 * - E2E_SDK_DIR: a `node_modules` folder holding another @pulumi/pulumi (with its dependencies),
 *   and ideally the programs' typescript and @types/node, as a program's own install would:
 *   linked in place of the repository's, so the programs, pulumi-cyclecloud's own
 *   `require("@pulumi/pulumi")` and `pulumi-resource-pulumi-nodejs` all load that SDK;
 * - E2E_EXPECT_SDK_VERSION (e.g. 3.276.0) and E2E_EXPECT_NODE_VERSION (a prefix, e.g. v22.): the
 *   suite refuses to start when what resolves differs.
 */
import { existsSync } from "node:fs";
import { access, cp, mkdir, mkdtemp, readFile, realpath, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { pulumiCliBin, REPO_ROOT, runCommand } from "../../scripts/lib/workspace";

declare module "vitest" {
  export interface ProvidedContext {
    /** Folder holding `pulumi` and `pulumi-language-nodejs`. */
    pulumiBin: string;
    /** A `node_modules` folder holding the staged `pulumi-cyclecloud` and links to what programs need. */
    stagedModules: string;
  }
}

/** Packages an example program needs besides pulumi-cyclecloud's own dependencies. */
const PROGRAM_PACKAGES = ["@pulumi", "@types", "typescript"];

async function stagePackage(): Promise<{ root: string; modules: string }> {
  const dist = join(REPO_ROOT, "dist");
  await access(join(dist, "provider", "index.js")).catch(() => {
    throw new Error("dist/ is missing: run the suite with `npm run test:e2e`, which builds first");
  });
  const root = await mkdtemp(join(tmpdir(), "pulumi-cyclecloud-e2e-package-"));
  const modules = join(root, "node_modules");
  const own = join(modules, "pulumi-cyclecloud");
  await mkdir(own, { recursive: true });
  await cp(join(REPO_ROOT, "package.json"), join(own, "package.json"));
  await cp(dist, join(own, "dist"), { recursive: true });
  const manifest = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  const names = new Set([...PROGRAM_PACKAGES, ...Object.keys(manifest.dependencies ?? {}).map(topFolder)]);
  const sdkModules = process.env["E2E_SDK_DIR"];
  if (sdkModules) {
    await access(join(sdkModules, "@pulumi", "pulumi", "package.json")).catch(() => {
      throw new Error(`E2E_SDK_DIR (${sdkModules}) holds no @pulumi/pulumi`);
    });
  }
  for (const name of names) {
    await mkdir(join(modules, name, ".."), { recursive: true });
    await symlink(programPackage(name, sdkModules), join(modules, name));
  }
  return { root, modules };
}

async function capture(file: string, args: readonly string[], cwd: string): Promise<string> {
  const { code, stdout, stderr } = await runCommand(file, args, { cwd });
  if (code !== 0)
    throw new Error(`\`${file} ${args.join(" ")}\` failed (exit code ${code}): ${stderr.trim()}`);
  return stdout.trim();
}

/**
 * What the engine's child processes will load, asked of the `node` on PATH (the one the language
 * host and the dynamic provider host run) from the staged folder, laid out as every program's:
 * the SDK a program resolves, the one the staged package resolves, and the dynamic provider host
 * `pulumi-resource-pulumi-nodejs` runs.
 */
async function checkVersions(stagedRoot: string): Promise<void> {
  const own = join(stagedRoot, "node_modules", "pulumi-cyclecloud", "dist", "provider");
  const probe = [
    "const { dirname } = require('node:path');",
    "const program = require.resolve('@pulumi/pulumi/package.json');",
    `const pkg = require.resolve('@pulumi/pulumi/package.json', { paths: [${JSON.stringify(own)}] });`,
    "const host = require.resolve('@pulumi/pulumi/cmd/dynamic-provider');",
    "console.log(JSON.stringify({ node: process.version, execPath: process.execPath,",
    "  program: require(program).version, programDir: dirname(program),",
    "  pkg: require(pkg).version, pkgDir: dirname(pkg), host }));",
  ].join("\n");
  const seen = JSON.parse(await capture("node", ["-e", probe], stagedRoot)) as {
    node: string;
    execPath: string;
    program: string;
    programDir: string;
    pkg: string;
    pkgDir: string;
    host: string;
  };
  const sdkDir = await realpath(join(stagedRoot, "node_modules", "@pulumi", "pulumi"));
  process.stderr.write(
    `e2e: node ${seen.node} (${seen.execPath}); @pulumi/pulumi ${seen.program} for the programs (${seen.programDir}), ` +
      `${seen.pkg} for pulumi-cyclecloud (${seen.pkgDir}); dynamic provider host ${seen.host}\n`,
  );
  const problems: string[] = [];
  if (seen.program !== seen.pkg || seen.programDir !== seen.pkgDir)
    problems.push("the programs and pulumi-cyclecloud resolve different copies of @pulumi/pulumi");
  if (!seen.host.startsWith(`${sdkDir}/`))
    problems.push(`the dynamic provider host is not from the staged SDK (${sdkDir})`);
  const wantSdk = process.env["E2E_EXPECT_SDK_VERSION"];
  if (wantSdk && seen.program !== wantSdk)
    problems.push(`E2E_EXPECT_SDK_VERSION is ${wantSdk} but @pulumi/pulumi ${seen.program} resolves`);
  const wantNode = process.env["E2E_EXPECT_NODE_VERSION"];
  if (wantNode && !seen.node.startsWith(wantNode))
    problems.push(`E2E_EXPECT_NODE_VERSION is ${wantNode} but the node on PATH is ${seen.node}`);
  if (problems.length > 0) throw new Error(`e2e: wrong versions: ${problems.join("; ")}`);
}

/**
 * Where a package of the programs comes from: with E2E_SDK_DIR, the program packages it holds
 * (@pulumi, and typescript and @types if installed there: the SDK's vendored ts-node looks for
 * `typescript` next to the SDK, and falls back to its own TypeScript 3.8 otherwise), else the
 * repository's node_modules.
 */
function programPackage(name: string, sdkModules: string | undefined): string {
  const candidate = sdkModules && PROGRAM_PACKAGES.includes(name) ? resolve(sdkModules, name) : undefined;
  return candidate && existsSync(candidate) ? candidate : join(REPO_ROOT, "node_modules", name);
}

/** `@scope/name` lives in `@scope`; link the whole scope. */
function topFolder(name: string): string {
  return name.startsWith("@") ? (name.split("/")[0] ?? name) : name;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Its progress (a build, the first time) is shown.
  const bin = await pulumiCliBin({ progress: "inherit" });
  const staged = await stagePackage();
  try {
    await checkVersions(staged.root);
  } catch (error) {
    await rm(staged.root, { recursive: true, force: true });
    throw error;
  }
  project.provide("pulumiBin", bin);
  project.provide("stagedModules", staged.modules);
  return async () => {
    await rm(staged.root, { recursive: true, force: true });
  };
}
