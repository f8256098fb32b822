#!/usr/bin/env node
import { readFile } from "node:fs/promises";
import { CLI_USAGE, CliUsageError, parseCliArgs } from "./server/cli-args";
import { EmulatorConfigError, loadEmulatorConfigFile } from "./config/config";
import { reasonOf } from "./server/http-io";
import { startEmulator } from "./server/start-emulator";
import { checkKeyPair } from "./server/tls";
import type { PemKeyPair } from "./server/tls";

// A closed stdout or stderr (`cyclecloud-emulator | head -1`, EPIPE) silences that stream; the
// server keeps running until a signal.
const open = { stdout: true, stderr: true };
for (const stream of ["stdout", "stderr"] as const) {
  process[stream].on("error", () => (open[stream] = false));
}

function write(stream: "stdout" | "stderr", text: string): void {
  if (open[stream] && !process[stream].destroyed) process[stream].write(text);
}
const out = (line: string): void => write("stdout", `${line}\n`);
const err = (text: string): void => write("stderr", text);

function fail(message: string, exitCode: number): void {
  err(`cyclecloud-emulator: ${message}\n`);
  process.exitCode = exitCode;
}

/** A failure reported as one line, with its exit code. */
class Exit extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

async function main(): Promise<void> {
  const command = parseCliArgs(process.argv.slice(2), process.env);
  if (command.kind === "help") {
    out(CLI_USAGE.trimEnd());
    return;
  }
  const config =
    command.configFile === undefined ? undefined : await loadEmulatorConfigFile(command.configFile);
  let tls: boolean | PemKeyPair = command.tls?.kind === "generate";
  if (command.tls?.kind === "files") {
    const { certFile, keyFile } = command.tls;
    tls = { cert: await readText(certFile, "--cert"), key: await readText(keyFile, "--key") };
    try {
      checkKeyPair(tls, { cert: `--cert ${certFile}`, key: `--key ${keyFile}` });
    } catch (error) {
      throw new Exit(reasonOf(error), 2);
    }
  }
  // The rest of the command are options of startEmulator as they are.
  const { kind, configFile, passwordSource, quiet, json, tls: _tls, ...options } = command;
  const emulator = await startEmulator({
    ...options,
    config,
    log: quiet ? undefined : out,
    // On stderr only: scripts read the start line as stdout's first line.
    warn: (line) => err(`cyclecloud-emulator: warning: ${line}\n`),
    tls,
  }).catch((error: unknown) => {
    if (error instanceof Error && "code" in error && error.code === "EADDRINUSE") {
      const where = `${command.host}:${String(command.port)}`;
      throw new Exit(`Cannot listen on ${where}: the port is in use (--port 0 picks a free one)`, 1);
    }
    throw error;
  });

  // Before the start line: a script may signal as soon as it reads it.
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    emulator.close().then(
      () => {
        if (!command.json) out(`CycleCloud emulator stopped (${signal})`);
      },
      (error: unknown) => {
        fail(`error while stopping: ${reasonOf(error)}`, 1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);

  // A password the emulator did not generate is never printed: it may be a CI secret.
  const source = command.passwordSource;
  if (command.json) {
    const { url, adminUrl, username, password, caCertPath } = emulator;
    out(
      JSON.stringify({
        url,
        username,
        ...(source === undefined ? { password } : {}),
        adminUrl,
        ...(caCertPath === undefined ? {} : { caCertPath }),
      }),
    );
  } else {
    const ca = emulator.caCertPath === undefined ? "" : `, CA certificate ${emulator.caCertPath}`;
    const password = source === undefined ? `password ${emulator.password}` : `password from ${source}`;
    out(`CycleCloud emulator listening on ${emulator.url} (username ${emulator.username}, ${password}${ca})`);
    if (command.admin) {
      const guard = command.adminToken === undefined ? "no authentication" : "admin token required";
      out(`Admin surface (${guard}): ${emulator.adminUrl}/`);
    }
  }
}

async function readText(file: string, flag: string): Promise<string> {
  return readFile(file, "utf8").catch((error: unknown) => {
    const reason = error instanceof Error && "code" in error ? String(error.code) : String(error);
    throw new Exit(`Cannot read ${flag} ${file} (${reason})`, 2);
  });
}

main().catch((error: unknown) => {
  if (error instanceof CliUsageError) {
    fail(`${error.message}\nRun cyclecloud-emulator --help for the options.`, 2);
  } else if (error instanceof Exit || error instanceof EmulatorConfigError) {
    fail(error.message, error instanceof Exit ? error.code : 2);
  } else {
    fail(error instanceof Error ? (error.stack ?? error.message) : String(error), 1);
  }
});
