import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import type { z } from "zod";
import { badRequest, EmulatorApiError, EXCEPTIONS, reasonOf } from "./api-error";
import { formatIssues } from "../../wire/util/zod-issues";

/** Largest request body accepted. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A response before it is written: the server decides whether to send, delay or drop it. */
export interface EmulatorResponse {
  readonly status: number;
  readonly headers?: OutgoingHttpHeaders;
  /** Sent as JSON, or verbatim when a string (`raw`). */
  readonly body: unknown;
  readonly raw?: boolean;
}

/** Deepest nesting of `[`, `{` and `(` accepted in a body or a query value; deeper is answered 400. */
export const MAX_NESTING_DEPTH = 64;

/** The 413 of a body over {@link MAX_BODY_BYTES}; the connection is closed after it. */
function tooLarge(): EmulatorApiError {
  const message = `Request body is larger than ${MAX_BODY_BYTES} bytes`;
  return new EmulatorApiError(413, EXCEPTIONS.invalidRequest, message, { Connection: "close" });
}

/** Whether the request announces a body larger than `limit` bytes (`Content-Length`). */
export function announcesMoreThan(request: IncomingMessage, limit: number): boolean {
  const length = Number(request.headers["content-length"] ?? 0);
  return Number.isFinite(length) && length > limit;
}

/**
 * Reads the whole request body as text (any Content-Type: CycleCloud's own examples send
 * `text/plain`). Stops at {@link MAX_BODY_BYTES}: a larger body (announced or found) is answered 413
 * without reading the rest.
 */
export async function readBody(request: IncomingMessage): Promise<string> {
  if (announcesMoreThan(request, MAX_BODY_BYTES)) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      // Leaving the loop stops reading; the answer closes the connection.
      throw tooLarge();
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * How deeply `text` nests `[`, `{` and `(` outside JSON string literals; stops counting past
 * {@link MAX_NESTING_DEPTH}. Checked before parsing, so deep input is a 400, not a stack overflow.
 */
export function nestingTooDeep(text: string): boolean {
  let depth = 0;
  // A string literal (to its closing quote, or the end) is skipped whole, escapes included.
  for (const [token] of text.matchAll(/"(?:[^"\\]|\\[\s\S])*"?|[[{(\]})]/g)) {
    if (token.startsWith('"')) continue;
    depth = "[{(".includes(token) ? depth + 1 : Math.max(0, depth - 1);
    if (depth > MAX_NESTING_DEPTH) return true;
  }
  return false;
}

/** The message of a body or query value nested deeper than {@link MAX_NESTING_DEPTH}. */
export const TOO_DEEP_MESSAGE = `nests brackets deeper than ${String(MAX_NESTING_DEPTH)} levels`;

/** A request body parsed as JSON; `fail` makes the error for one that is not JSON. */
export function parseJson(text: string, fail: (message: string) => Error): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw fail(`Request body is not valid JSON: ${reasonOf(error)}`);
  }
}

/** Parses a JSON body and checks it against a wire schema; 400 with the bad path otherwise. */
export function parseBody<T extends z.ZodType>(text: string, schema: T, what: string): z.output<T> {
  if (text.trim() === "") throw badRequest(`Request body is empty: expected a JSON ${what}`);
  const parsed = schema.safeParse(parseJson(text, badRequest));
  if (!parsed.success) throw badRequest(`Invalid ${what}: ${formatIssues(parsed.error)}`);
  return parsed.data;
}
