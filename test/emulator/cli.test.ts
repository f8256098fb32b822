import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { CLI_USAGE, CliUsageError, DEFAULT_CLI_PORT, parseCliArgs } from "../../emulator/server/cli-args";
import { isLoopbackHost as isLoopback } from "../../wire/util/loopback";
import { NodeListSchema } from "../../wire/schemas";
import { basicAuth, parseWith } from "./helpers";
import { issueEmulatorCertificates } from "../../emulator/server/tls";
import { CycleCloudClient, NetworkError } from "../../provider/client";

/** The built bin; `npm test` builds before running vitest. */
const CLI = join(process.cwd(), "dist", "emulator", "cli.js");

interface Run {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves with the first stdout line. */
  readonly firstLine: Promise<string>;
  /** Resolves when the process exits. */
  readonly exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

const children: ChildProcessWithoutNullStreams[] = [];

function run(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env["PATH"] ?? "", ...env },
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      const newline = stdout.indexOf("\n");
      if (newline >= 0) {
        resolve(stdout.slice(0, newline));
      }
    });
    child.once("exit", () => {
      reject(new Error(`exited before printing a line; stderr: ${stderr}`));
    });
  });
  firstLine.catch(() => undefined);
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.once("close", (code) => {
      resolve({ code, stdout, stderr });
    });
  });
  return { child, firstLine, exit };
}

beforeAll(() => {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  }
});
afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
    }
  }
});

const STARTED =
  /^CycleCloud emulator listening on (http:\/\/127\.0\.0\.1:\d+) \(username (\S+), (password \S+|password from \S+)\)$/;

describe("the cyclecloud-emulator command", () => {
  test("prints its URL and user but not a given password, serves the API, logs requests and stops on SIGTERM", async () => {
    const cli = run(["--port", "0", "--instant", "--password", "cli-secret"]);
    const match = STARTED.exec(await cli.firstLine);
    expect(match?.slice(2)).toEqual(["admin", "password from --password"]);
    const url = match?.[1] ?? "";

    const created = await fetch(`${url}/clusters/hpc/nodes/create`, {
      method: "POST",
      headers: { Authorization: basicAuth("admin", "cli-secret"), "Content-Type": "text/plain" },
      body: JSON.stringify({ requestId: "cli-1", sets: [{ count: 1, nodearray: "ondemand" }] }),
    });
    expect(created.status).toBe(202);
    const listed = await fetch(`${url}/clusters/hpc/nodes?request_id=cli-1`, {
      headers: { Authorization: basicAuth("admin", "cli-secret") },
    });
    const nodes = parseWith(NodeListSchema, await listed.json()).nodes;
    expect(nodes.map((node) => [node.Name, node.Status])).toEqual([["ondemand-1", "Ready"]]);

    cli.child.kill("SIGTERM");
    const { code, stdout } = await cli.exit;
    expect(code).toBe(0);
    expect(
      stdout
        .trim()
        .split("\n")
        .map((line) => line.replace(/:\d+/, ":PORT").replace(/ \d+ms$/, " Nms")),
    ).toEqual([
      "CycleCloud emulator listening on http://127.0.0.1:PORT (username admin, password from --password)",
      "Admin surface (no authentication): http://127.0.0.1:PORT/__emulator/",
      "POST /clusters/hpc/nodes/create 202 Nms",
      "GET /clusters/hpc/nodes?request_id=cli-1 200 Nms",
      "CycleCloud emulator stopped (SIGTERM)",
    ]);
  });

  test("--allow-remote: the start line stays stdout's first line; the warning is on stderr, once", async () => {
    const cli = run(["--port=0", "--host", "0.0.0.0", "--allow-remote", "--no-admin", "--password", "p"]);
    expect(await cli.firstLine).toMatch(/^CycleCloud emulator listening on http:\/\/0\.0\.0\.0:\d+ /);
    cli.child.kill("SIGTERM");
    const { code, stdout, stderr } = await cli.exit;
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/warning/i);
    expect(stderr.trim().split("\n")).toEqual([
      "cyclecloud-emulator: warning: listening on 0.0.0.0: the CycleCloud API (HTTP Basic authentication) " +
        "is reachable from the network",
    ]);
  });

  test("--json prints one machine-readable line; a password from the environment is used, never printed", async () => {
    const cli = run(["--port=0", "--json", "--quiet", "--username", "ops"], {
      CYCLECLOUD_EMULATOR_PASSWORD: "from-env",
    });
    const firstLine = await cli.firstLine;
    const started = JSON.parse(firstLine) as Record<string, string>;
    expect(Object.keys(started)).toEqual(["url", "username", "adminUrl"]);
    expect([started["username"], started["adminUrl"]]).toEqual(["ops", `${started["url"] ?? ""}/__emulator`]);
    const status = await fetch(`${started["url"] ?? ""}/clusters/hpc/status`, {
      headers: { Authorization: basicAuth("ops", "from-env") },
    });
    expect(status.status).toBe(200);
    const health = await fetch(`${started["adminUrl"] ?? ""}/health`);
    expect(health.status).toBe(200);

    cli.child.kill("SIGINT");
    const { code, stdout } = await cli.exit;
    expect(code).toBe(0);
    // Nothing but the start line: no request log (--quiet) and no stop line (--json).
    expect(stdout.trim().split("\n")).toEqual([firstLine]);
    expect(stdout).not.toContain("from-env");
  });

  test("--config serves the file's clusters", async () => {
    const directory = await mkdtemp(join(tmpdir(), "cyclecloud-emulator-cli-"));
    try {
      const file = join(directory, "clusters.json");
      await writeFile(
        file,
        JSON.stringify({
          clusters: [
            {
              name: "ci",
              maxCount: 2,
              maxCoreCount: 8,
              nodearrays: [
                {
                  name: "small",
                  maxCount: 2,
                  maxCoreCount: 8,
                  buckets: [{ machineType: "Standard_D2_v3", vcpuCount: 2, memory: 8, maxCount: 2 }],
                },
              ],
            },
          ],
        }),
      );
      const cli = run(["--port", "0", "--config", file, "--password", "p"]);
      const url = STARTED.exec(await cli.firstLine)?.[1] ?? "";
      const status = await fetch(`${url}/clusters/ci/status`, {
        headers: { Authorization: basicAuth("admin", "p") },
      });
      expect(status.status).toBe(200);
      cli.child.kill("SIGTERM");
      expect((await cli.exit).code).toBe(0);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  test("an invalid config file exits 2 naming the file and the path", async () => {
    const directory = await mkdtemp(join(tmpdir(), "cyclecloud-emulator-cli-"));
    try {
      const file = join(directory, "bad.json");
      await writeFile(file, JSON.stringify({ clusters: [{ name: "x" }] }));
      const { code, stderr } = await run(["--port", "0", "--config", file]).exit;
      expect(code).toBe(2);
      expect(stderr).toBe(
        `cyclecloud-emulator: Invalid emulator config ${file}: clusters[0].maxCount: Invalid input: expected number, ` +
          "received undefined; clusters[0].maxCoreCount: Invalid input: expected number, received undefined; " +
          "clusters[0].nodearrays: Invalid input: expected array, received undefined\n",
      );
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  test("an unknown argument exits 2 and --help prints the usage", async () => {
    const bad = await run(["--prot", "0"]).exit;
    expect([bad.code, bad.stderr]).toEqual([
      2,
      'cyclecloud-emulator: Unknown argument "--prot"\nRun cyclecloud-emulator --help for the options.\n',
    ]);
    const help = await run(["--help"]).exit;
    expect([help.code, help.stdout]).toEqual([0, CLI_USAGE]);
  });

  test("a port in use exits 1 with a hint", async () => {
    const first = run(["--port", "0", "--quiet"]);
    const port = /:(\d+) /.exec(await first.firstLine)?.[1] ?? "";
    const second = await run(["--port", port]).exit;
    expect([second.code, second.stderr]).toEqual([
      1,
      `cyclecloud-emulator: Cannot listen on 127.0.0.1:${port}: the port is in use (--port 0 picks a free one)\n`,
    ]);
    first.child.kill("SIGTERM");
    await first.exit;
  });
});

describe("parseCliArgs", () => {
  test("defaults", () => {
    expect(parseCliArgs([], {})).toEqual({
      kind: "run",
      host: "127.0.0.1",
      port: DEFAULT_CLI_PORT,
      username: undefined,
      password: undefined,
      configFile: undefined,
      timing: {},
      admin: true,
      quiet: false,
      json: false,
    });
    expect(DEFAULT_CLI_PORT).toBe(8080);
  });

  test("every option, in both --flag value and --flag=value forms", () => {
    expect(
      parseCliArgs(
        [
          "--port=9000",
          "--host",
          "0.0.0.0",
          "--allow-remote",
          "--admin-token=0123456789abcdef",
          "--username=u",
          "--password",
          "p",
          "--config",
          "c.json",
          "--instant",
          "--preparing-ms",
          "50",
          "--no-admin",
          "--quiet",
          "--json",
        ],
        { CYCLECLOUD_EMULATOR_USERNAME: "ignored", CYCLECLOUD_EMULATOR_PASSWORD: "ignored" },
      ),
    ).toEqual({
      kind: "run",
      host: "0.0.0.0",
      port: 9000,
      username: "u",
      password: "p",
      passwordSource: "--password",
      adminToken: "0123456789abcdef",
      allowRemote: true,
      configFile: "c.json",
      timing: { acquiringMs: 0, preparingMs: 50, terminatingMs: 0 },
      admin: false,
      quiet: true,
      json: true,
    });
  });

  test("credentials fall back to the environment; empty values count as unset", () => {
    const command = parseCliArgs(["--acquiring-ms", "1", "--terminating-ms", "2"], {
      CYCLECLOUD_EMULATOR_USERNAME: "env-user",
      CYCLECLOUD_EMULATOR_PASSWORD: "",
    });
    expect(command).toEqual({
      kind: "run",
      host: "127.0.0.1",
      port: DEFAULT_CLI_PORT,
      username: "env-user",
      password: undefined,
      configFile: undefined,
      timing: { acquiringMs: 1, terminatingMs: 2 },
      admin: true,
      quiet: false,
      json: false,
    });
  });

  test.each([
    [["--port"], "--port needs a value"],
    [["--port", "70000"], '--port must be an integer from 0 to 65535, not "70000"'],
    [["--port", "-1"], '--port must be an integer from 0 to 65535, not "-1"'],
    [["--acquiring-ms", "fast"], '--acquiring-ms must be an integer from 0 to 86400000, not "fast"'],
    [["--json=yes"], "--json takes no value"],
    [["serve"], 'Unknown argument "serve"'],
    [["--host="], "--host needs a value"],
    [["--port", "1", "--port"], "--port needs a value"],
    [["--prot=0"], 'Unknown argument "--prot=0"'],
    [["-hx"], 'Unknown argument "-hx"'],
    [["--"], 'Unknown argument "--"'],
    [["-h", "5"], 'Unknown argument "5"'],
    [["--help=x"], "--help takes no value"],
  ])("%j is a usage error: %s", (argv, message) => {
    expect(() => parseCliArgs(argv, {})).toThrow(new CliUsageError(message));
  });

  test("--help wins over everything else", () => {
    expect(parseCliArgs(["--port", "1", "-h"], {})).toEqual({ kind: "help" });
    expect(parseCliArgs(["--port", "x", "--help"], {})).toEqual({ kind: "help" });
  });

  test("a value may start with a dash and the last of a repeated option wins", () => {
    expect(
      parseCliArgs(["--host", "--json", "--allow-remote", "--password=a=b", "--port", "1", "--port=2"], {}),
    ).toMatchObject({
      host: "--json",
      password: "a=b",
      port: 2,
      json: false,
    });
  });

  test.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["localhost", true],
    ["::1", true],
    ["0.0.0.0", false],
    ["10.0.0.5", false],
    ["127.example.com", false],
  ])("isLoopback(%s) is %s", (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });
});

describe("the cyclecloud-emulator command over HTTPS", () => {
  const STARTED_TLS =
    /^CycleCloud emulator listening on (https:\/\/127\.0\.0\.1:\d+) \(username admin, password from --password, CA certificate (\S+)\)$/;

  function client(url: string, caCert: string | undefined): CycleCloudClient {
    return new CycleCloudClient({ url, username: "admin", password: "p", caCert, retryBaseDelayMs: 0 });
  }

  test("--tls serves HTTPS with a new CA whose file the start line names; the file goes on stop", async () => {
    const cli = run(["--port", "0", "--tls", "--password", "p", "--quiet"]);
    const match = STARTED_TLS.exec(await cli.firstLine);
    const [url = "", caFile = ""] = match?.slice(1) ?? [];
    const caCert = readFileSync(caFile, "utf8");
    expect(caCert).toMatch(/^-----BEGIN CERTIFICATE-----\n[^]*\n-----END CERTIFICATE-----\n$/);

    await expect(client(url, caCert).listNodes("hpc")).resolves.toMatchObject({
      nodes: [{ Name: "scheduler" }],
    });
    const untrusted = await client(url, undefined)
      .listNodes("hpc")
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(untrusted).toBeInstanceOf(NetworkError);
    expect((untrusted as NetworkError).code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");

    cli.child.kill("SIGTERM");
    const { code, stdout } = await cli.exit;
    expect(code).toBe(0);
    expect(stdout).not.toContain("PRIVATE KEY");
    expect(existsSync(caFile)).toBe(false);
  });

  test("--tls --json adds caCertPath", async () => {
    const cli = run(["--port=0", "--tls", "--json", "--quiet", "--password", "p"]);
    const started = JSON.parse(await cli.firstLine) as Record<string, string>;
    expect(Object.keys(started)).toEqual(["url", "username", "adminUrl", "caCertPath"]);
    expect(started["url"]).toMatch(/^https:\/\//);
    expect(existsSync(started["caCertPath"] ?? "")).toBe(true);
    cli.child.kill("SIGTERM");
    expect((await cli.exit).code).toBe(0);
  });

  test("--cert and --key serve the given certificate; a key that does not fit exits 2 naming both files", async () => {
    const directory = await mkdtemp(join(tmpdir(), "cyclecloud-emulator-cli-"));
    try {
      const issued = issueEmulatorCertificates([]);
      const other = issueEmulatorCertificates([]);
      const [certFile, keyFile, otherKeyFile] = ["cert.pem", "key.pem", "other-key.pem"].map((name) =>
        join(directory, name),
      ) as [string, string, string];
      await writeFile(certFile, issued.cert);
      await writeFile(keyFile, issued.key);
      await writeFile(otherKeyFile, other.key);

      const cli = run(["--port", "0", "--cert", certFile, "--key", keyFile, "--password", "p", "--quiet"]);
      const firstLine = await cli.firstLine;
      expect(firstLine).toMatch(
        /^CycleCloud emulator listening on https:\/\/127\.0\.0\.1:\d+ \(username admin, password from --password\)$/,
      );
      const url = /(https:\S+)/.exec(firstLine)?.[1] ?? "";
      await expect(client(url, issued.caCert).listNodes("hpc")).resolves.toMatchObject({
        nodes: [{ Name: "scheduler" }],
      });
      cli.child.kill("SIGTERM");
      expect((await cli.exit).code).toBe(0);

      const mismatched = await run(["--port", "0", "--cert", certFile, "--key", otherKeyFile]).exit;
      expect([mismatched.code, mismatched.stderr]).toEqual([
        2,
        `cyclecloud-emulator: --key ${otherKeyFile} is not the private key of the certificate --cert ${certFile}\n`,
      ]);
      const missing = await run(["--port", "0", "--cert", join(directory, "none.pem"), "--key", keyFile])
        .exit;
      expect([missing.code, missing.stderr]).toEqual([
        2,
        `cyclecloud-emulator: Cannot read --cert ${join(directory, "none.pem")} (ENOENT)\n`,
      ]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  test("--cert without --key exits 2 naming both", async () => {
    const { code, stderr } = await run(["--cert", "c.pem"]).exit;
    expect([code, stderr]).toEqual([
      2,
      "cyclecloud-emulator: --cert needs --key: give both --cert FILE and --key FILE (its private key), or --tls " +
        "alone\nRun cyclecloud-emulator --help for the options.\n",
    ]);
  });
});

describe("parseCliArgs: TLS", () => {
  test("no TLS by default; --tls generates; --cert with --key (with or without --tls) serves the files", () => {
    expect(parseCliArgs([], {})).not.toHaveProperty("tls");
    expect(parseCliArgs(["--tls"], {})).toMatchObject({ tls: { kind: "generate" } });
    const files = { tls: { kind: "files", certFile: "c.pem", keyFile: "k.pem" } };
    expect(parseCliArgs(["--cert", "c.pem", "--key=k.pem"], {})).toMatchObject(files);
    expect(parseCliArgs(["--tls", "--key", "k.pem", "--cert", "c.pem"], {})).toMatchObject(files);
  });

  test.each([
    [
      ["--cert", "c.pem"],
      "--cert needs --key: give both --cert FILE and --key FILE (its private key), or --tls alone",
    ],
    [
      ["--tls", "--key", "k.pem"],
      "--key needs --cert: give both --cert FILE and --key FILE (its private key), or --tls alone",
    ],
    [["--cert"], "--cert needs a value"],
    [["--tls=yes"], "--tls takes no value"],
  ])("%j is a usage error: %s", (argv, message) => {
    expect(() => parseCliArgs(argv, {})).toThrow(new CliUsageError(message));
  });
});
