/**
 * The package as users get it: `npm pack`, installed from the tarball into a fresh program outside
 * the repository next to @pulumi/pulumi from the registry, then the installed emulator command and
 * a real `pulumi up` / `destroy` of the quickstart program.
 */
import { lstat, mkdir, readFile, realpath, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmulatorProcess } from "./harness";
import {
  emulatorNodes,
  expectNoPasswordAnywhere,
  expectSuccess,
  liveNodes,
  outputsOf,
  REPO_ROOT,
  run,
  startEmulatorCommand,
  Workspace,
} from "./harness";

/** What a user installs besides the tarball (the versions the README names). */
// The SDK of the compat leg being run (scripts/compat.sh sets E2E_EXPECT_SDK_VERSION), else the dev pin.
const REGISTRY_PACKAGES = [
  `@pulumi/pulumi@${process.env["E2E_EXPECT_SDK_VERSION"] ?? "3.248.0"}`,
  "typescript@~5.9.3",
  "@types/node@20",
];

let ws: Workspace;
let tarball: string;
let emulator: EmulatorProcess | undefined;

beforeAll(async () => {
  ws = await Workspace.create({ example: "quickstart", label: "packed", packages: "none" });
});

afterAll(async () => {
  await emulator?.stop();
  await ws?.dispose();
});

describe("the packed package installed into a fresh program", () => {
  it("packs the built library and emulator, and no sources or tests", async () => {
    const packDir = join(ws.root, "pack");
    await mkdir(packDir);

    const pack = expectSuccess(
      await run("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: REPO_ROOT }),
    );

    const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    if (!packed) throw new Error("npm pack reported no package");
    tarball = join(packDir, packed.filename);
    const files = packed.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining([
        "package.json",
        "README.md",
        "LICENSE",
        "dist/provider/index.js",
        "dist/provider/index.d.ts",
        "dist/provider/engine/provider-impl.js",
        "dist/emulator/index.js",
        "dist/emulator/cli.js",
        "docs/README.md",
        "emulator/README.md",
      ]),
    );
    expect(
      files.filter(
        (f) =>
          !f.startsWith("dist/") &&
          !/^docs\/[\w-]+\.md$/.test(f) &&
          !["package.json", "README.md", "LICENSE", "emulator/README.md"].includes(f),
      ),
    ).toEqual([]);
    expect(
      files.filter((f) => /\.test\.|^dist\/test\//.test(f) || (f.endsWith(".ts") && !f.endsWith(".d.ts"))),
    ).toEqual([]);
  });

  it("installs from the tarball into a program outside the repository, with the registry's Pulumi SDK", async () => {
    await writeFile(
      join(ws.programDir, "package.json"),
      `${JSON.stringify({ name: "cyclecloud-installed-e2e", private: true, main: "index.ts" }, null, 2)}\n`,
    );

    expectSuccess(
      await run("npm", ["install", "--no-audit", "--no-fund", tarball, ...REGISTRY_PACKAGES], {
        cwd: ws.programDir,
        timeoutMs: 540_000,
      }),
    );

    const installed = join(ws.programDir, "node_modules", "pulumi-cyclecloud");
    expect((await lstat(installed)).isSymbolicLink()).toBe(false);
    expect(await realpath(installed)).not.toContain(REPO_ROOT);
    const manifest = JSON.parse(await readFile(join(installed, "package.json"), "utf8")) as {
      version: string;
    };
    const repoManifest = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    expect(manifest.version).toBe(repoManifest.version);
  }, 600_000);

  it("starts the installed cyclecloud-emulator command", async () => {
    emulator = await startEmulatorCommand(
      join(ws.programDir, "node_modules", ".bin", "cyclecloud-emulator"),
      [
        "--port",
        "0",
        "--json",
        "--quiet",
        "--acquiring-ms",
        "200",
        "--preparing-ms",
        "200",
        "--terminating-ms",
        "100",
      ],
      ws.programDir,
    );

    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await emulatorNodes(emulator)).toEqual([]);
  });

  it("creates the nodes on pulumi up and removes them on destroy", async () => {
    if (!emulator) throw new Error("the emulator did not start");
    await ws.init(emulator);

    expectSuccess(await ws.up());
    const nodes = await liveNodes(emulator);
    expect(nodes.map((n) => [n.record.Status, n.record.MachineType])).toEqual([
      ["Ready", "Standard_Fs32_v2"],
      ["Ready", "Standard_Fs32_v2"],
    ]);
    expect(await ws.outputs()).toEqual({ ...outputsOf(nodes), readyCount: 2 });

    expectSuccess(await ws.destroy());
    expect(await emulatorNodes(emulator)).toEqual([]);
    expect(await ws.nodeSets()).toEqual([]);
  });

  it("stops the emulator command cleanly on SIGTERM", async () => {
    if (!emulator) throw new Error("the emulator did not start");
    const stopping = emulator;
    emulator = undefined;
    expect(await stopping.stop()).toBe(0);
  });

  it("never printed the password, and neither state nor stack config holds it in clear", async () => {
    await expectNoPasswordAnywhere([ws]);
  });
});
