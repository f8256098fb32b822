/**
 * The client against hostile servers, real ones on 127.0.0.1 port 0: an endless body, a body that
 * announces more than the limit, messages full of terminal escapes, and servers that echo the
 * credentials back in every form. Each answer is a fresh request handler (`serve`).
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import {
  DEFAULT_CLIENT_SETTINGS,
  HttpError,
  ResponseTooLargeError,
  ResponseValidationError,
  SettingsError,
  isResponseTooLargeError,
} from "../../provider/client";
import { MAX_SERVER_TEXT_LENGTH, REDACTED } from "../../wire/util/server-text";
import { AUTHORIZATION, PASSWORD, USERNAME, makeClient } from "./fixtures";

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** Starts a server answering every request with `handler`; returns its URL. */
async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new Error(`unexpected server address ${String(address)}`);
  }
  return `http://127.0.0.1:${address.port}`;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the request to fail");
}

/** Every form of the credentials that must never reach a message. */
const BASE64 = Buffer.from(`${USERNAME}:${PASSWORD}`).toString("base64");
const CREDENTIAL_FORMS = [
  PASSWORD,
  `${USERNAME}:${PASSWORD}`,
  BASE64,
  BASE64.replace(/=+$/, ""),
  AUTHORIZATION,
  encodeURIComponent(PASSWORD),
  encodeURIComponent(`${USERNAME}:${PASSWORD}`),
];

/** The error as a user could see it: message, JSON and `util.inspect`. */
function everyRendering(error: unknown): string {
  return [
    String(error instanceof Error ? error.message : error),
    JSON.stringify(error),
    inspect(error, { depth: 5 }),
  ].join("\n");
}

describe("a size limit on answers, enforced while reading", () => {
  it("stops reading an endless 200 body at the limit and drops the connection", async () => {
    let written = 0;
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const url = await serve((_request, response) => {
      response.writeHead(200, { "Content-Type": "application/json" });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (!response.destroyed && response.write(chunk)) {
          written += chunk.length;
        }
        written += chunk.length;
      };
      response.on("drain", pump);
      response.on("close", closed);
      response.write("[");
      pump();
    });
    const limit = 256 * 1024;
    const { client } = makeClient({ url, maxResponseBytes: limit, retries: 0 });
    const error = await failure(client.listNodes("hpc"));
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(isResponseTooLargeError(error)).toBe(true);
    const tooLarge = error as ResponseTooLargeError;
    expect(tooLarge.limitBytes).toBe(limit);
    expect(tooLarge.message).toBe(
      "CycleCloud answered 200 to GET /clusters/hpc/nodes with a body larger than 262144 bytes; the client " +
        "stopped reading it. If the server is CycleCloud and the cluster is that large, raise the limit: " +
        "`maxResponseMiB` (stack config `cyclecloud:maxResponseMiB`, `connection.maxResponseMiB` or " +
        "CYCLECLOUD_MAX_RESPONSE_MIB; `maxResponseBytes` of a CycleCloudClient); otherwise check that `url` " +
        "points at the CycleCloud server",
    );
    // The client dropped the connection: the server's endless write ends.
    await connectionClosed;
    const stoppedAt = written;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(written).toBe(stoppedAt);
  });

  it("refuses a body whose Content-Length is over the limit without reading it", async () => {
    let closed = false;
    const url = await serve((_request, response) => {
      response.writeHead(200, {
        "Content-Type": "application/json",
        "Content-Length": String(10 * 1024 * 1024),
      });
      response.write("{");
      response.on("close", () => {
        closed = true;
      });
    });
    const { client } = makeClient({ url, maxResponseBytes: 1024 * 1024 });
    const error = await failure(client.getClusterStatus("hpc", { nodes: true }));
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect((error as Error).message).toContain("larger than 1 MiB (1048576 bytes)");
    await expect.poll(() => closed).toBe(true);
  });

  it("reads an answer just under the limit, and applies the limit to error answers too", async () => {
    const nodes = { nodes: [] as unknown[] };
    const body = JSON.stringify(nodes);
    let status = 200;
    const url = await serve((_request, response) => {
      response.writeHead(status, { "Content-Type": "application/json" });
      response.end(status === 200 ? body : JSON.stringify({ Message: "x".repeat(4096) }));
    });
    const { client } = makeClient({ url, maxResponseBytes: 1024, retries: 0 });
    await expect(client.listNodes("hpc")).resolves.toMatchObject({ nodes: [] });
    status = 409;
    const error = await failure(client.listNodes("hpc"));
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect((error as ResponseTooLargeError).status).toBe(409);
  });

  it("defaults to 128 MiB and validates the option by name", () => {
    expect(DEFAULT_CLIENT_SETTINGS.maxResponseBytes).toBe(128 * 1024 * 1024);
    expect(() => makeClient({ maxResponseBytes: 10 })).toThrow(SettingsError);
    expect(() => makeClient({ maxResponseBytes: 10 })).toThrow(
      "`maxResponseBytes` must be an integer number of bytes from 1024 to 1073741824, e.g. 134217728",
    );
  });
});

describe("server text in messages", () => {
  it("cuts a huge Message full of escapes and control characters to one clean line", async () => {
    const hostile =
      "\u001b[2J\u001b[31mRED\u001b[0m\r\nline two\u0007\u001b]0;title\u0007\u0000\u009b1m" +
      "\u202eevil\u2028" +
      "A".repeat(5000);
    const url = await serve((_request, response) => {
      response.writeHead(409, { "Content-Type": "application/json" });
      response.end(
        JSON.stringify({ Message: hostile, Detail: `x\u001b[1m${"d".repeat(5000)}`, Exception: "E\nx" }),
      );
    });
    const { client } = makeClient({ url });
    const error = await failure(client.listNodes("hpc"));
    expect(error).toBeInstanceOf(HttpError);
    const httpError = error as HttpError;
    const serverMessage = httpError.serverMessage ?? "";
    expect(serverMessage.startsWith("RED line twoevil AAAA")).toBe(true);
    expect(serverMessage).toHaveLength(MAX_SERVER_TEXT_LENGTH + 3);
    for (const text of [httpError.message, JSON.stringify(httpError), httpError.body?.Detail ?? ""]) {
      // eslint-disable-next-line no-control-regex
      expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u202e]/);
    }
    expect(httpError.body?.Exception).toBe("E x");
    expect(httpError.message.length).toBeLessThan(500);
  });

  it("cleans a plain-text error body, its status text and a non-JSON 2xx body the same way", async () => {
    let mode: "plain" | "ok" = "plain";
    const url = await serve((_request, response) => {
      if (mode === "plain") {
        response.writeHead(503, "Busy\tnow\u009b", { "Content-Type": "text/plain" });
        response.end(`down\u001b[5m\n${"z".repeat(3000)}`);
      } else {
        response.writeHead(200, { "Content-Type": "text/plain" });
        response.end(`\u001b[31mnot json\n${"y".repeat(100)}`);
      }
    });
    const { client } = makeClient({ url, retries: 0 });
    const plain = (await failure(client.listNodes("hpc"))) as HttpError;
    expect(plain.serverMessage?.startsWith("down zzz")).toBe(true);
    expect(plain.serverMessage).toHaveLength(MAX_SERVER_TEXT_LENGTH + 3);
    expect(plain.message).not.toContain("\u001b");
    expect(plain.message).toContain("CycleCloud answered 503 to GET /clusters/hpc/nodes: down zzz");
    mode = "ok";
    const invalid = (await failure(client.listNodes("hpc"))) as ResponseValidationError;
    expect(invalid).toBeInstanceOf(ResponseValidationError);
    expect(invalid.message).toContain(
      `expected JSON, got text/plain starting "not json ${"y".repeat(51)}..."`,
    );
    expect(invalid.message).not.toContain("\u001b");
  });

  it("never shows the credentials a server echoes back, in any form", async () => {
    const echo = (request: IncomingMessage): string => {
      const authorization = request.headers.authorization ?? "";
      const base64 = authorization.replace(/^Basic /, "");
      const pair = Buffer.from(base64, "base64").toString("utf8");
      const password = pair.slice(pair.indexOf(":") + 1);
      return [
        `you sent ${authorization}`,
        `raw ${base64}`,
        `unpadded ${base64.replace(/=+$/, "")}`,
        `pair ${pair}`,
        `password ${password}`,
        `encoded ${encodeURIComponent(pair)} ${encodeURIComponent(password)}`,
        `lower-hex ${encodeURIComponent(password).toLowerCase()}`,
        // Split by a control character and an escape: still caught.
        `split ${password.slice(0, 4)}\u0000${password.slice(4, 8)}\u001b[0m${password.slice(8)}`,
      ].join(" | ");
    };
    let mode: "json" | "detail" | "plain" | "not-json" = "json";
    const url = await serve((request, response) => {
      const text = echo(request);
      if (mode === "json") {
        response.writeHead(400, { "Content-Type": "application/json" });
        response.end(JSON.stringify({ Message: text }));
      } else if (mode === "detail") {
        response.writeHead(400, { "Content-Type": "application/json" });
        response.end(JSON.stringify({ Message: "bad", Detail: text, Exception: text }));
      } else if (mode === "plain") {
        response.writeHead(401, text.replace(/[^\t\x20-\x7e]/g, ""), { "Content-Type": "text/plain" });
        response.end(text);
      } else {
        response.writeHead(200, { "Content-Type": "text/plain" });
        response.end(`x ${text.slice(text.indexOf("pair"))}`);
      }
    });
    const { client } = makeClient({ url, retries: 0 });
    for (const next of ["json", "detail", "plain", "not-json"] as const) {
      mode = next;
      const error = await failure(client.listNodes("hpc"));
      const rendered = everyRendering(error);
      expect(rendered, next).toContain(REDACTED);
      for (const form of CREDENTIAL_FORMS) {
        expect(rendered.toLowerCase(), `${next}: ${form}`).not.toContain(form.toLowerCase());
      }
      expect(rendered, next).not.toContain(PASSWORD.slice(0, 8));
    }
  });
});
