/**
 * Reading CycleCloud's answers: a 2xx body parsed as JSON and validated against its wire schema
 * (problems named by JSON path), and a non-2xx answer turned into an `HttpError`.
 */
import type { z } from "zod";
import { ErrorBodySchema, UnreadableRecordsError } from "../../wire/schemas";
import type { ErrorBody } from "../../wire/schemas";
import { HttpError, ResponseValidationError } from "./errors";
import type { RequestTarget } from "./errors";
import { parseRetryAfter } from "./retry";
import { MAX_NAME_LENGTH, plainText } from "../../wire/util/server-text";
import type { ServerTextCleaner } from "../../wire/util/server-text";
import { describeIssue, formatIssuePath } from "../../wire/util/zod-issues";
import type { FetchResponse } from "./settings";

/** Most validation problems listed in one error message. */
const MAX_LISTED_PROBLEMS = 5;

/** How much of an error body's `Detail` is kept (it may hold a stack trace; the request tag is in it). */
const MAX_DETAIL_LENGTH = 1000;

/** How an answer is read: its `Content-Type`, and how server text is made safe for messages. */
interface AnswerContext {
  contentType: string | undefined;
  /** Strips control characters, redacts credentials and caps the length (`server-text.ts`). */
  clean: ServerTextCleaner;
}

/** The schema of a 2xx body, and its wire type's name for messages. */
export interface Answer<T> {
  schema: z.ZodType<T>;
  expected: string;
}

/**
 * The value of a 2xx body; throws a `ResponseValidationError` when it is not JSON or not a valid
 * `expected`. Once the JSON is parsed, `body.text` is emptied: a listing of thousands of nodes is
 * then not held as text while its records are validated (the caller keeps no other reference).
 */
export function parseBody<T>(
  spec: RequestTarget & Answer<T>,
  status: number,
  body: { text: string },
  { contentType, clean }: AnswerContext,
): T {
  const fail = (problems: readonly string[]) => new ResponseValidationError({ ...spec, status, problems });
  const crowded = crowdedObjects(body.text);
  if (crowded !== undefined) {
    throw fail([
      `${crowded} JSON objects in ${body.text.length} bytes (fewer than ${MIN_BYTES_PER_OBJECT} bytes each): not ` +
        "CycleCloud records this library can read; it stops before parsing them",
    ]);
  }
  const json = parseJson(body.text);
  if (json === undefined) {
    const got =
      body.text.trim() === ""
        ? "an empty body"
        : `${clean(contentType ?? "a body without Content-Type", 100)} starting ${JSON.stringify(clean(body.text, 60))}`;
    throw fail([`expected JSON, got ${got}; check that \`url\` points at the CycleCloud server`]);
  }
  body.text = "";
  let result: ReturnType<typeof spec.schema.safeParse>;
  try {
    result = spec.schema.safeParse(json.value);
  } catch (error) {
    // A listing of mostly junk records: given up on early (splitNodeRecords), named by its path.
    if (error instanceof UnreadableRecordsError) throw fail([`nodes: ${error.message}`]);
    throw error;
  }
  if (!result.success) {
    const problems = result.error.issues.map((issue) =>
      clean(describeIssue(issue, json.value, formatIssuePath(issue.path, true))),
    );
    const extra = problems.length - MAX_LISTED_PROBLEMS;
    throw fail(extra > 0 ? [...problems.slice(0, MAX_LISTED_PROBLEMS), `and ${extra} more`] : problems);
  }
  return result.data;
}

/** The `HttpError` of a non-2xx answer to a request of the server at `baseUrl`. */
export function httpErrorOf(
  spec: RequestTarget,
  response: FetchResponse,
  text: string,
  { contentType, clean, baseUrl }: AnswerContext & { baseUrl: string },
): HttpError {
  const body = parseErrorBody(text, clean);
  const redirect =
    response.status >= 300 && response.status < 400
      ? redirectOf(response.headers.get("location"), baseUrl)
      : {};
  return new HttpError({
    method: spec.method,
    path: spec.path,
    status: response.status,
    statusText: clean(response.statusText, 100),
    body,
    serverMessage: body?.Message ?? plainTextMessage(text, contentType, clean),
    contentType: contentType === undefined ? undefined : clean(contentType, 100),
    ...redirect,
    retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), Date.now()),
  });
}

/**
 * Where a 3xx answer points: the scheme, host and port of its `Location` (no credentials, path or
 * query; sanitized), and whether it leaves https for http. Nothing for a `Location` that is
 * missing, not a URL, or not http(s).
 */
function redirectOf(
  location: string | null,
  base: string,
): { redirectOrigin?: string; redirectDowngrade?: boolean } {
  if (location === null || !URL.canParse(location, base)) return {};
  const target = new URL(location, base);
  if (target.protocol !== "https:" && target.protocol !== "http:") return {};
  return {
    redirectOrigin: plainText(target.origin, MAX_NAME_LENGTH),
    redirectDowngrade: new URL(base).protocol === "https:" && target.protocol === "http:",
  };
}

/** CycleCloud's error body with each text cleaned (an empty one dropped); undefined when not one. */
function parseErrorBody(text: string, clean: ServerTextCleaner): ErrorBody | undefined {
  const result = ErrorBodySchema.safeParse(parseJson(text)?.value);
  if (!result.success) return undefined;
  const body: ErrorBody = {};
  for (const [key, length] of [["Exception"], ["Message"], ["Detail", MAX_DETAIL_LENGTH]] as const) {
    const kept = clean(result.data[key] ?? "", length);
    if (kept !== "") body[key] = kept;
  }
  if (result.data.Code !== undefined) body.Code = result.data.Code;
  return body;
}

/** The start of a plain-text error body, cleaned; nothing for empty, HTML or JSON bodies. */
function plainTextMessage(
  text: string,
  contentType: string | undefined,
  clean: ServerTextCleaner,
): string | undefined {
  if (contentType?.includes("html") === true || /^\s*[<{]/.test(text)) return undefined;
  const line = clean(text);
  return line === "" ? undefined : line;
}

/** Above this many JSON objects, a body must average {@link MIN_BYTES_PER_OBJECT} bytes each. */
export const MAX_SMALL_OBJECTS = 100_000;
/**
 * CycleCloud's records are hundreds of bytes each (a node record has dozens of fields); a body of
 * far smaller objects (`{"nodes":[{},{},...]}`) would cost JSON.parse and validation gigabytes and
 * minutes well under the size cap.
 */
export const MIN_BYTES_PER_OBJECT = 32;

/**
 * How many `{` a body holds when it is more than {@link MAX_SMALL_OBJECTS} and they average fewer
 * than {@link MIN_BYTES_PER_OBJECT} bytes each, else undefined. One scan of the text, no allocation:
 * it runs before JSON.parse. (A `{` inside a string counts too: an upper bound is all it needs.)
 */
function crowdedObjects(text: string): number | undefined {
  if (text.length <= MAX_SMALL_OBJECTS * 2) return undefined; // `{}` is the smallest object
  let count = 0;
  for (let i = text.indexOf("{"); i !== -1; i = text.indexOf("{", i + 1)) count++;
  return count > MAX_SMALL_OBJECTS && text.length < count * MIN_BYTES_PER_OBJECT ? count : undefined;
}

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}
