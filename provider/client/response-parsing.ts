/**
 * Reading CycleCloud's answers: a 2xx body parsed as JSON and validated against its wire schema
 * (problems named by JSON path), and a non-2xx answer turned into an `HttpError`.
 */
import type { z } from "zod";
import { ErrorBodySchema } from "../schemas";
import type { ErrorBody } from "../schemas";
import { HttpError, ResponseValidationError } from "./errors";
import { parseRetryAfter } from "./retry";
import type { FetchResponse } from "./settings";

/** Most validation problems listed in one error message. */
const MAX_LISTED_PROBLEMS = 5;

/** The request a body answers, and what the body should be. */
export interface ExpectedBody<T> {
  method: string;
  /** Path and query under the server root, segments already encoded. */
  path: string;
  /** Schema of a 2xx body, and the wire type's name for messages. */
  schema: z.ZodType<T>;
  expected: string;
}

/** The value of a 2xx body; throws a `ResponseValidationError` when it is not JSON or not a valid `expected`. */
export function parseBody<T>(
  spec: ExpectedBody<T>,
  status: number,
  text: string,
  contentType: string | undefined,
): T {
  const fail = (problems: readonly string[]) =>
    new ResponseValidationError({
      method: spec.method,
      path: spec.path,
      status,
      expected: spec.expected,
      problems,
    });
  const json = parseJson(text);
  if (json === undefined) {
    const got =
      text.trim() === ""
        ? "an empty body"
        : `${contentType ?? "a body without Content-Type"} starting ${JSON.stringify(truncate(text.replace(/\s+/g, " ").trim(), 60))}`;
    throw fail([`expected JSON, got ${got}; check that \`url\` points at the CycleCloud server`]);
  }
  const result = spec.schema.safeParse(json.value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => describeIssue(issue, json.value));
    const extra = problems.length - MAX_LISTED_PROBLEMS;
    throw fail(extra > 0 ? [...problems.slice(0, MAX_LISTED_PROBLEMS), `and ${extra} more`] : problems);
  }
  return result.data;
}

/** The `HttpError` of a non-2xx answer to a request of the server at `baseUrl`. */
export function httpErrorOf(
  spec: { method: string; path: string },
  response: FetchResponse,
  text: string,
  contentType: string | undefined,
  baseUrl: string,
): HttpError {
  const body = parseErrorBody(text);
  const location = response.headers.get("location");
  return new HttpError({
    method: spec.method,
    path: spec.path,
    status: response.status,
    statusText: response.statusText,
    body,
    serverMessage: body?.Message ?? plainTextMessage(text, contentType),
    contentType,
    redirectOrigin:
      response.status >= 300 && response.status < 400 && location !== null
        ? originOf(location, baseUrl)
        : undefined,
    retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), Date.now()),
  });
}

/** Scheme, host and port of a `Location`, without credentials, path or query. */
function originOf(location: string, base: string): string | undefined {
  try {
    return new URL(location, base).origin;
  } catch {
    return undefined;
  }
}

function parseErrorBody(text: string): ErrorBody | undefined {
  const json = parseJson(text);
  if (json === undefined) {
    return undefined;
  }
  const result = ErrorBodySchema.safeParse(json.value);
  return result.success ? result.data : undefined;
}

/** The start of a plain-text error body, on one line; nothing for empty, HTML or JSON bodies. */
function plainTextMessage(text: string, contentType: string | undefined): string | undefined {
  const line = text.replace(/\s+/g, " ").trim();
  if (line === "" || contentType?.includes("html") === true || line.startsWith("<") || line.startsWith("{")) {
    return undefined;
  }
  return truncate(line, 300);
}

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/**
 * `nodes[2].NodeId: expected string, got number`. Its path syntax differs from `util/zod-issues.ts`
 * (a key that is not an identifier is quoted: `["a b"]`), so it keeps its own.
 */
function describeIssue(issue: z.core.$ZodIssue, root: unknown): string {
  const where = issue.path.length === 0 ? "(root)" : formatPath(issue.path);
  if (issue.code === "invalid_type") {
    const expected = issue.expected === "int" ? "integer" : issue.expected;
    const actual = valueAt(root, issue.path);
    if (actual === undefined) {
      return `${where}: expected ${expected}, but it is missing`;
    }
    const got = expected === "integer" && typeof actual === "number" ? String(actual) : typeName(actual);
    return `${where}: expected ${expected}, got ${got}`;
  }
  return `${where}: ${issue.message}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => {
      if (typeof key === "number") {
        return `[${key}]`;
      }
      const name = String(key);
      if (/^[A-Za-z_$][\w$]*$/.test(name)) {
        return index === 0 ? name : `.${name}`;
      }
      return `[${JSON.stringify(name)}]`;
    })
    .join("");
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== "object" || value === null) {
      return undefined;
    }
    value = Reflect.get(value, key);
  }
  return value;
}

function typeName(value: unknown): string {
  if (value === null) {
    return "null";
  }
  if (Array.isArray(value)) {
    return "array";
  }
  return typeof value;
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length)}...` : text;
}
