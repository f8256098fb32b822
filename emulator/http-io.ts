import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import type { z } from "zod";
import { badRequest, EmulatorApiError, EXCEPTIONS } from "./api-error";
import { formatIssues } from "../provider/util/zod-issues";

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

export function json(status: number, body: unknown, headers: OutgoingHttpHeaders = {}): EmulatorResponse {
  return { status, body, headers };
}

/** Reads the whole request body as text (any Content-Type: CycleCloud's own examples send `text/plain`). */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      tooLarge = true;
    } else {
      chunks.push(buffer);
    }
  }
  if (tooLarge) {
    throw new EmulatorApiError(
      413,
      EXCEPTIONS.invalidRequest,
      `Request body is larger than ${String(MAX_BODY_BYTES)} bytes`,
    );
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Parses a JSON body and checks it against a wire schema; 400 with the bad path otherwise. */
export function parseBody<T extends z.ZodType>(text: string, schema: T, what: string): z.output<T> {
  if (text.trim() === "") {
    throw badRequest(`Request body is empty: expected a JSON ${what}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw badRequest(`Request body is not valid JSON: ${reason}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw badRequest(`Invalid ${what}: ${formatIssues(parsed.error)}`);
  }
  return parsed.data;
}
