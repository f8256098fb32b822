// @ts-check
/**
 * How much CPU time and memory the client spends on a hostile 200 answer: a listing or a status of
 * 20 MiB of empty node records (`{"nodes":[{},{},...]}`), far under the 128 MiB size cap. Run
 * `npm run build` first; then `node bench/empty-records.js`. Each case runs in a child process of
 * its own, so its peak RSS is its own. Prints the figures; asserts nothing.
 */
"use strict";
const { createServer } = require("node:http");
const path = require("node:path");

const MIB = 1024 * 1024;

/**
 * `{"nodes":[{},{},...]}` of about `bytes` bytes, with the other fields of a status when `status`.
 * @param {number} bytes
 * @param {boolean} status
 */
function body(bytes, status) {
  const count = Math.floor(bytes / 3);
  const fields = status ? '"maxCount":10,"maxCoreCount":100,"nodearrays":[],' : "";
  return `{${fields}"nodes":[${new Array(count).fill("{}").join(",")}]}`;
}

/**
 * In the child: one request, then time, peak RSS and the outcome as JSON on stdout.
 * @param {string} url
 * @param {string} which
 */
async function child(url, which) {
  const { CycleCloudClient } = require(
    path.join(process.env["BENCH_DIST"] ?? path.join(__dirname, "..", "dist"), "provider", "client"),
  );
  const client = new CycleCloudClient({ url, username: "u", password: "p", retries: 0, timeoutMs: 600_000 });
  const start = process.hrtime.bigint();
  let outcome;
  try {
    if (which === "status") await client.getClusterStatus("c", { nodes: true });
    else await client.listNodes("c", { requestId: "r-0" });
    outcome = "read";
  } catch (error) {
    outcome = String(error instanceof Error ? error.message : error).slice(0, 200);
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const usage = process.resourceUsage();
  process.stdout.write(
    JSON.stringify({
      ms: Math.round(ms),
      cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000),
      peakRssMiB: Math.round(usage.maxRSS / 1024),
      outcome,
    }),
  );
}

async function main() {
  const sizeMiB = Number(process.env["EMPTY_RECORDS_MIB"] ?? 20);
  const listing = Buffer.from(body(sizeMiB * MIB, false));
  const status = Buffer.from(body(sizeMiB * MIB, true));
  const server = createServer((request, response) => {
    const payload = (request.url ?? "").includes("/status") ? status : listing;
    response.writeHead(200, { "Content-Type": "application/json", "Content-Length": payload.length });
    response.end(payload);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no address");
  const url = `http://127.0.0.1:${address.port}`;
  for (const which of ["listing", "status"]) {
    const text = await new Promise((resolve, reject) => {
      const { execFile } = require("node:child_process");
      execFile(
        process.execPath,
        [path.join(__dirname, "empty-records.js"), "--child", url, which],
        { maxBuffer: MIB },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
    });
    console.log(`${which} of ${sizeMiB} MiB of empty records: ${text}`);
  }
  server.close();
}

if (process.argv[2] === "--child") void child(process.argv[3] ?? "", process.argv[4] ?? "");
else void main();
