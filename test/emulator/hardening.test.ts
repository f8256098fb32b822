/**
 * The emulator against hostile clients: web pages reaching the admin surface (cross-site posts, DNS
 * rebinding, `text/plain` bodies), an admin token, non-loopback binding, unauthenticated and
 * oversized bodies, slow requests, deep nesting, request id and fault limits, and the password kept
 * out of what `startEmulator` returns. Raw `node:http` requests, so `Host` and `Origin` can be set.
 */
import { request as httpRequest } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import { inspect } from "node:util";
import { afterEach, describe, expect, test } from "vitest";
import { MAX_FAULT_DELAY_MS, MAX_PENDING_FAULTS } from "../../emulator/store/fault-queue";
import { MAX_BODY_BYTES } from "../../emulator/server/http-io";
import { parseEmulatorConfig } from "../../emulator/config/config";
import { DEFAULT_EMULATOR_CONFIG } from "../../emulator/config/default-content";
import { MAX_OPERATIONS, MAX_REQUEST_ID_LENGTH, NodeStore } from "../../emulator/store/node-store";
import { DEFAULT_TIMING, SYSTEM_CLOCK } from "../../emulator/store/state";
import type { RunningEmulator } from "../../emulator";
import { api, basicAuth, start } from "./helpers";

const running: RunningEmulator[] = [];
afterEach(async () => {
  for (const emulator of running.splice(0)) {
    await emulator.close();
  }
});

async function emulatorWith(options: Parameters<typeof start>[0] = {}): Promise<RunningEmulator> {
  const emulator = await start(options);
  running.push(emulator);
  return emulator;
}

interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request with exactly these headers (no defaults but `Host`, unless given). */
function raw(
  emulator: RunningEmulator,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: "127.0.0.1", port: emulator.port, method, path, headers, agent: false },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
        );
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

const JSON_TYPE = { "Content-Type": "application/json" };

describe("the admin surface refuses what a web page could send", () => {
  test("a cross-site POST (foreign Origin, or Sec-Fetch-Site: cross-site) gets 403 and changes nothing", async () => {
    const emulator = await emulatorWith();
    const fault = JSON.stringify({ route: "status", status: 503 });
    for (const headers of [
      { ...JSON_TYPE, Origin: "http://evil.example" },
      { ...JSON_TYPE, Origin: "null" },
      { ...JSON_TYPE, Origin: `http://127.0.0.1:${emulator.port + 1}` },
      { ...JSON_TYPE, "Sec-Fetch-Site": "cross-site" },
    ]) {
      const reply = await raw(emulator, "POST", "/__emulator/faults", headers, fault);
      expect(reply.status, JSON.stringify(headers)).toBe(403);
    }
    const reset = await raw(emulator, "POST", "/__emulator/reset", { Origin: "http://evil.example" });
    expect(reset.status).toBe(403);
    expect((await api(emulator).admin("GET", "/faults")).json).toEqual({ faults: [] });
    // Its own origin is fine.
    const own = await raw(
      emulator,
      "POST",
      "/__emulator/faults",
      { ...JSON_TYPE, Origin: emulator.url },
      fault,
    );
    expect(own.status).toBe(201);
  });

  test("a body that is not application/json gets 415 (a form or text/plain post)", async () => {
    const emulator = await emulatorWith();
    const fault = JSON.stringify({ route: "status", status: 503 });
    for (const type of [
      "text/plain",
      "text/plain;charset=UTF-8",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const reply = await raw(emulator, "POST", "/__emulator/faults", { "Content-Type": type }, fault);
      expect(reply.status, type).toBe(415);
      expect(JSON.parse(reply.body)).toEqual({
        error: "Admin requests with a body must send it as Content-Type: application/json",
      });
    }
    expect((await raw(emulator, "POST", "/__emulator/faults", {}, fault)).status).toBe(415);
    expect(
      (
        await raw(
          emulator,
          "POST",
          "/__emulator/faults",
          { "Content-Type": "application/json; charset=utf-8" },
          fault,
        )
      ).status,
    ).toBe(201);
  });

  test("a Host that is not the emulator's (DNS rebinding) gets 403; loopback names and the listen address pass", async () => {
    const emulator = await emulatorWith();
    for (const host of ["evil.example", `evil.example:${emulator.port}`, "127.example.com", "10.0.0.5"]) {
      const reply = await raw(emulator, "GET", "/__emulator/nodes", { Host: host });
      expect(reply.status, host).toBe(403);
      expect(reply.body).not.toContain("scheduler");
    }
    for (const host of [
      `127.0.0.1:${emulator.port}`,
      `localhost:${emulator.port}`,
      `[::1]:${emulator.port}`,
      "127.0.0.1",
    ]) {
      expect((await raw(emulator, "GET", "/__emulator/nodes", { Host: host })).status, host).toBe(200);
    }
  });

  test("the API routes keep CycleCloud's behaviour: any Host, Origin and Content-Type", async () => {
    const emulator = await emulatorWith();
    const reply = await raw(emulator, "GET", "/clusters/hpc/status", {
      Host: "cyclecloud.example.com",
      Origin: "http://evil.example",
      Authorization: basicAuth(emulator.username, emulator.password),
    });
    expect(reply.status).toBe(200);
    const created = await raw(
      emulator,
      "POST",
      "/clusters/hpc/nodes/create",
      { "Content-Type": "text/plain", Authorization: basicAuth(emulator.username, emulator.password) },
      JSON.stringify({ sets: [{ count: 1, nodearray: "ondemand" }] }),
    );
    expect(created.status).toBe(202);
  });

  test("with an admin token, admin requests need it in X-Emulator-Admin-Token (and any Host then passes)", async () => {
    const token = "a-long-admin-token-0123";
    const emulator = await emulatorWith({ adminToken: token });
    expect((await raw(emulator, "GET", "/__emulator/nodes", {})).status).toBe(401);
    expect(
      (await raw(emulator, "GET", "/__emulator/nodes", { "X-Emulator-Admin-Token": "wrong-token-0123456" }))
        .status,
    ).toBe(401);
    expect(
      (await raw(emulator, "GET", "/__emulator/nodes", { "X-Emulator-Admin-Token": token })).status,
    ).toBe(200);
    expect(
      (
        await raw(emulator, "GET", "/__emulator/nodes", {
          "X-Emulator-Admin-Token": token,
          Host: "emulator:8080",
        })
      ).status,
    ).toBe(200);
    // The test helpers pass it.
    expect((await api(emulator).admin("POST", "/reset")).status).toBe(200);
    expect(emulator.adminHeaders()).toEqual({
      "Content-Type": "application/json",
      "X-Emulator-Admin-Token": token,
    });
    expect(JSON.stringify(emulator)).not.toContain(token);
    await expect(start({ adminToken: "short" })).rejects.toThrow(
      "the admin token must be at least 16 characters",
    );
  });
});

describe("listening beyond loopback", () => {
  test("a non-loopback host is refused without allowRemote, saying what would be exposed", async () => {
    await expect(start({ host: "0.0.0.0" })).rejects.toThrow(
      "Invalid emulator option `host`: 0.0.0.0 is not a loopback address, so the CycleCloud API (HTTP Basic " +
        "authentication) is reachable from the network, and so is the admin surface /__emulator/ (reset, faults, " +
        "node lists) with no credentials: anyone who can reach the port and name this host can change the " +
        "emulator; set an admin token or disable the admin surface. Pass `allowRemote: true` to do this " +
        "deliberately, or listen on 127.0.0.1",
    );
  });

  test("with allowRemote it listens and logs a warning saying what is exposed", async () => {
    const lines: string[] = [];
    const emulator = await emulatorWith({
      host: "0.0.0.0",
      allowRemote: true,
      admin: false,
      log: (line) => lines.push(line),
    });
    expect(lines).toEqual([
      "WARNING: listening on 0.0.0.0: the CycleCloud API (HTTP Basic authentication) is reachable from the network",
    ]);
    expect(emulator.port).toBeGreaterThan(0);
  });
});

describe("the password stays out of what startEmulator returns", () => {
  test("util.inspect, JSON.stringify, Object.keys and spreads leave it out; reading it by name works", async () => {
    const password = "given-password-1234";
    const emulator = await emulatorWith({ password });
    expect(inspect(emulator, { depth: 5 })).not.toContain(password);
    expect(inspect(emulator, { depth: 5, showHidden: true })).not.toContain(password);
    expect(JSON.stringify(emulator)).not.toContain(password);
    expect(Object.keys(emulator)).not.toContain("password");
    expect(JSON.stringify({ ...emulator })).not.toContain(password);
    expect(emulator.password).toBe(password);
    const { password: destructured } = emulator;
    expect(destructured).toBe(password);
  });
});

describe("request bodies, timeouts and nesting", () => {
  test("an unauthenticated large body is answered 401 without being read, and the connection closed", async () => {
    const emulator = await emulatorWith();
    const reply = await new Promise<{ head: string; sent: number }>((resolve, reject) => {
      const socket = connect(emulator.port, "127.0.0.1");
      let head = "";
      let sent = 0;
      let done = false;
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      socket.on("connect", () => {
        socket.write(
          "POST /clusters/hpc/nodes/create HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
            "Transfer-Encoding: chunked\r\n\r\n",
        );
        const pump = (): void => {
          // 300 MiB at most; the emulator must stop us long before.
          while (!done && sent < 300 * 1024 * 1024) {
            sent += chunk.length;
            if (!socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString()}\r\n`)) {
              socket.once("drain", pump);
              return;
            }
          }
        };
        pump();
      });
      socket.on("data", (data: Buffer) => (head += data.toString()));
      const finish = (): void => {
        done = true;
        resolve({ head, sent });
      };
      socket.on("close", finish);
      socket.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code === "ECONNRESET" || error.code === "EPIPE") finish();
        else reject(error);
      });
    });
    expect(reply.head).toMatch(/^HTTP\/1\.1 401 /);
    expect(reply.head).toContain("Connection: close");
    expect(reply.sent).toBeLessThan(300 * 1024 * 1024);
  });

  test("a body over 1 MiB is answered 413 without reading the rest; an announced one at once", async () => {
    const emulator = await emulatorWith();
    const auth = {
      Authorization: basicAuth(emulator.username, emulator.password),
      "Content-Type": "application/json",
    };
    const announced = await raw(
      emulator,
      "POST",
      "/clusters/hpc/nodes/create",
      { ...auth, "Content-Length": String(MAX_BODY_BYTES + 1) },
      "x".repeat(MAX_BODY_BYTES + 1),
    );
    expect(announced.status).toBe(413);
    expect(announced.headers.connection).toBe("close");
  });

  test("a request that does not arrive within requestTimeoutMs is cut off (408)", async () => {
    const emulator = await emulatorWith({ requestTimeoutMs: 500 });
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(emulator.port, "127.0.0.1");
      let text = "";
      socket.on("connect", () => {
        socket.write(
          `POST /clusters/hpc/nodes/create HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basicAuth(emulator.username, emulator.password)}\r\nContent-Length: 1000\r\n\r\n{`,
        );
        // One byte now and then: never the whole body.
        const timer = setInterval(() => socket.write(" "), 100);
        socket.on("close", () => clearInterval(timer));
      });
      socket.on("data", (data: Buffer) => (text += data.toString()));
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  test("deeply nested JSON bodies and filters get 400, not a stack overflow", async () => {
    const emulator = await emulatorWith();
    const http = api(emulator);
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    // POST routes answer unreadable input 409 "Invalid input" as the reference says; GET routes 400.
    const body = await http.post("/clusters/hpc/nodes/create", `{"sets":${deep}}`);
    expect(body.status).toBe(409);
    expect(body.json).toMatchObject({ Message: "Request body nests brackets deeper than 64 levels" });
    const filter = `${"(".repeat(1000)}State === "Started"${")".repeat(1000)}`;
    const listed = await http.get(`/clusters/hpc/nodes?filter=${encodeURIComponent(filter)}`);
    expect(listed.status).toBe(400);
    expect(listed.json).toMatchObject({
      Message: "Query parameter filter nests brackets deeper than 64 levels",
    });
    const admin = await raw(emulator, "POST", "/__emulator/faults", JSON_TYPE, `{"route":${deep}}`);
    expect(admin.status).toBe(400);
    // Within the limit, brackets inside strings do not count.
    const fine = await http.post("/clusters/hpc/nodes/create", {
      requestId: `${"[".repeat(200)}`,
      sets: [{ count: 1, nodearray: "ondemand" }],
    });
    expect(fine.status).toBe(202);
  });
});

describe("bounded memory", () => {
  test(`request ids longer than ${MAX_REQUEST_ID_LENGTH} characters are refused (409 Invalid input)`, async () => {
    const emulator = await emulatorWith();
    const http = api(emulator);
    const tooLong = await http.post("/clusters/hpc/nodes/create", {
      requestId: "r".repeat(MAX_REQUEST_ID_LENGTH + 1),
      sets: [{ count: 1, nodearray: "ondemand" }],
    });
    expect(tooLong.status).toBe(409);
    expect(tooLong.json).toMatchObject({
      Message: `requestId is ${MAX_REQUEST_ID_LENGTH + 1} characters long; the emulator accepts at most ${MAX_REQUEST_ID_LENGTH}`,
    });
    const atLimit = await http.post("/clusters/hpc/nodes/create", {
      requestId: "r".repeat(MAX_REQUEST_ID_LENGTH),
      sets: [{ count: 1, nodearray: "ondemand" }],
    });
    expect(atLimit.status).toBe(202);
  });

  test(`at most ${MAX_OPERATIONS} operations are kept: the oldest without live nodes go, those with nodes stay`, () => {
    const store = new NodeStore(
      parseEmulatorConfig(DEFAULT_EMULATOR_CONFIG, "test"),
      DEFAULT_TIMING,
      SYSTEM_CLOCK,
    );
    const cluster = store.cluster("hpc");
    const nodearray = cluster.nodearrays.find((array) => array.name === "ondemand");
    const bucket = nodearray?.buckets[0];
    if (nodearray === undefined || bucket === undefined) throw new Error("the seed has no ondemand bucket");
    const withNode = store.newOperation("create", cluster, "keep-me", 0);
    store.addNode(
      { name: "ondemand-1", cluster, nodearray, bucket, placementGroupId: undefined, attributes: {} },
      withNode,
      0,
    );
    for (let i = 0; i <= MAX_OPERATIONS; i++) {
      store.newOperation("create", cluster, `empty-${i}`, 0);
    }
    expect(store.allOperations()).toHaveLength(MAX_OPERATIONS);
    expect(store.operationOfRequest("keep-me")?.id).toBe(withNode.id);
    expect(store.operationOfRequest("empty-0")).toBeUndefined();
    expect(store.operationOfRequest(`empty-${MAX_OPERATIONS}`)).toBeDefined();
    // A forgotten request id can be used again.
    expect(() => store.checkRequestIdUnused("empty-0")).not.toThrow();
    expect(() => store.checkRequestIdUnused("keep-me")).toThrow("Request id keep-me has already been used");
  });

  test("fault delayMs is bounded (at most an hour) and the pending faults are capped", async () => {
    const emulator = await emulatorWith();
    expect(() => emulator.injectFault({ route: "status", delayMs: 2 ** 31 })).toThrow(
      `\`delayMs\` must be at most ${MAX_FAULT_DELAY_MS} (one hour)`,
    );
    const http = api(emulator);
    const refused = await http.admin("POST", "/faults", { route: "status", delayMs: -1 });
    expect(refused.status).toBe(400);
    for (let i = 0; i < MAX_PENDING_FAULTS; i++) {
      emulator.injectFault({ route: "status", status: 503 });
    }
    const full = await http.admin("POST", "/faults", { route: "status", status: 503 });
    expect(full.status).toBe(409);
    expect(full.json).toEqual({
      error: `${MAX_PENDING_FAULTS} faults are already pending: clear them (DELETE /__emulator/faults) first`,
    });
  });
});
