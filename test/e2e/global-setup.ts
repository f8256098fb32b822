/**
 * Runs once before the end-to-end suite, in vitest's main process:
 * 1. makes the pinned Pulumi CLI available (scripts/pulumi-cli.sh: instant when cached, several
 *    minutes the first time, with its progress shown);
 * 2. stages a snapshot of the built package (package.json and dist/) with links to its
 *    dependencies, so the programs under test load this run's build even if `dist/` is rebuilt
 *    while the suite runs.
 */
import { spawn } from "node:child_process";
import { access, cp, mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** Folder holding `pulumi` and `pulumi-language-nodejs`. */
    pulumiBin: string;
    /** A `node_modules` folder holding the staged `pulumi-cyclecloud` and links to what programs need. */
    stagedModules: string;
  }
}

const REPO_ROOT = resolve(__dirname, "../..");

/** Packages an example program needs besides pulumi-cyclecloud's own dependencies. */
const PROGRAM_PACKAGES = ["@pulumi", "@types", "typescript"];

function pulumiCliBin(): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("bash", [join(REPO_ROOT, "scripts", "pulumi-cli.sh")], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const bin = stdout.trim().split("\n").pop() ?? "";
      if (code !== 0 || bin === "") {
        reject(new Error(`scripts/pulumi-cli.sh failed (exit code ${code}): see its messages above`));
      } else {
        resolvePromise(bin);
      }
    });
  });
}

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
  for (const name of names) {
    await mkdir(join(modules, name, ".."), { recursive: true });
    await symlink(join(REPO_ROOT, "node_modules", name), join(modules, name));
  }
  return { root, modules };
}

/** `@scope/name` lives in `@scope`; link the whole scope. */
function topFolder(name: string): string {
  return name.startsWith("@") ? (name.split("/")[0] ?? name) : name;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const bin = await pulumiCliBin();
  const staged = await stagePackage();
  project.provide("pulumiBin", bin);
  project.provide("stagedModules", staged.modules);
  return async () => {
    await rm(staged.root, { recursive: true, force: true });
  };
}
