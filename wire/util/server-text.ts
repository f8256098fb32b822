/**
 * Making text a server sent safe to put in an error message: credentials redacted in every form the
 * client could have sent them, control characters and terminal escapes removed, whitespace folded
 * onto one line, and the length capped.
 */

/** Longest server text kept in a message (`Message`, a plain-text body, a body's first characters). */
export const MAX_SERVER_TEXT_LENGTH = 300;

/** What replaces a credential found in server text. */
export const REDACTED = "[REDACTED]";

/** Cleans text a server sent; see {@link serverTextCleaner}. */
export type ServerTextCleaner = (text: string, maxLength?: number) => string;

/**
 * The forms `username:password` can take in an echo of the request: the password, `user:password`,
 * the `Authorization` value (base64, also without padding and in base64url), and the URL- or
 * form-encoded password. Longest first, so `Basic <base64>` goes before `<base64>` alone.
 */
export function credentialForms(username: string, password: string): string[] {
  const pair = `${username}:${password}`;
  const base64 = Buffer.from(pair, "utf8").toString("base64");
  const forms = new Set<string>([
    `Basic ${base64}`,
    base64,
    base64.replace(/=+$/, ""),
    Buffer.from(pair, "utf8").toString("base64url"),
    pair,
    password,
    encodeURIComponent(pair),
    encodeURIComponent(password),
    encodeURIComponent(password).replace(/%20/g, "+"),
    JSON.stringify(password).slice(1, -1),
  ]);
  return [...forms].filter((form) => form !== "").sort((a, b) => b.length - a.length);
}

/**
 * ANSI/VT escape sequences: CSI (`ESC [` and its C1 form), OSC (`ESC ]` and its C1 form, up to BEL
 * or ST, or to the end when unterminated) and two-character escapes.
 */
const ESCAPES =
  // eslint-disable-next-line no-control-regex
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[@-_]?|\u009b[0-?]*[ -/]*[@-~]|\u009d[^\u0007\u001b\u009c]*(?:\u0007|\u009c)?/g;
/**
 * Control characters (C0, DEL, C1), format characters (bidi embeddings, overrides and isolates,
 * LRM/RLM, zero-width spaces and joiners, BOM, soft hyphen, tag characters, ...) and lone surrogates.
 */
const CONTROLS = /[\p{Cc}\p{Cf}\p{Cs}]/gu;
/** Line and paragraph separators, which a terminal or a Markdown renderer may take as line breaks. */
const LINE_BREAKS = /[\r\n\u0085\u2028\u2029]+/g;

/** Longest text of a whole message or line (the library's words around server text). */
export const MAX_MESSAGE_LENGTH = 4000;

/** Longest server-supplied name (node, nodearray, machine type) kept in a message. */
export const MAX_NAME_LENGTH = 100;

/** Escapes and controls removed; line breaks kept (`lines`) or made spaces; whitespace folded. */
function strip(text: string, lines: boolean): string {
  const fold = (line: string) => line.replace(/\s+/g, " ").replace(CONTROLS, "").replace(/\s+/g, " ").trim();
  const stripped = text.replace(ESCAPES, "");
  if (!lines) return fold(stripped);
  return stripped
    .split(LINE_BREAKS)
    .map(fold)
    .filter((line) => line !== "")
    .join("\n");
}

function cut(text: string, maxLength: number): string {
  return text.length > maxLength ? `${text.slice(0, maxLength)}...` : text;
}

/** How much of a text is looked at: bounded work whatever its size. */
function windowOf(text: string, maxLength: number, keep = 0): string {
  const size = maxLength * 8 + 4096;
  return text.length > size ? text.slice(0, Math.max(0, size - keep)) : text;
}

/**
 * The one sanitizer of text shown to a person (a terminal, Pulumi's diagnostics, a plan): terminal
 * escapes, control and format characters (bidi overrides, zero-width characters) removed, line
 * breaks made spaces, whitespace folded, and the length capped at `maxLength` with `...`.
 */
export function plainText(text: string, maxLength = MAX_SERVER_TEXT_LENGTH): string {
  return cut(strip(windowOf(text, maxLength), false), maxLength);
}

/**
 * {@link plainText} for a text of several lines: each line cleaned, blank lines dropped, the line
 * breaks kept (as `\n`).
 */
export function plainLines(text: string, maxLength = MAX_MESSAGE_LENGTH): string {
  return cut(strip(windowOf(text, maxLength), true), maxLength);
}

/**
 * The message of `error` (or the value as text) made safe to show ({@link plainText}, capped at
 * `maxLength`; with `lines`, {@link plainLines}). Every message of a caught error shown or put in
 * another message goes through it.
 */
export function errorText(
  error: unknown,
  { maxLength = MAX_MESSAGE_LENGTH, lines = false }: { maxLength?: number; lines?: boolean } = {},
): string {
  const text = error instanceof Error ? error.message : String(error);
  return lines ? plainLines(text, maxLength) : plainText(text, maxLength);
}

/** Text that Markdown renders as typed: letters, digits, spaces and `. - ' ( ) /`, `_` inside words. */
const MARKDOWN_PLAIN = /^[A-Za-z0-9 .'()/_-]*$/;
const MARKDOWN_PLAIN_UNDERSCORE = /(^|[^A-Za-z0-9])_|_($|[^A-Za-z0-9])/;

/**
 * {@link plainText}, for Markdown (a pull-request comment): text that renders as typed is left as
 * it is; anything else becomes a code span (fenced by more backticks than it holds), so no HTML,
 * image, link, autolink, mention (`@everyone`), emphasis or heading comes out of it. In a table
 * cell (`table`), `|` is escaped as `\|` (GFM reads it before the code span).
 */
export function markdownText(text: string, options: MarkdownOptions = {}): string {
  const plain = plainText(text, options.maxLength);
  const asTyped =
    MARKDOWN_PLAIN.test(plain) && !MARKDOWN_PLAIN_UNDERSCORE.test(plain) && !/www\./i.test(plain);
  return asTyped ? plain : codeSpan(plain, options);
}

/** {@link plainText} as a Markdown code span, always (see {@link markdownText}). */
export function markdownCode(text: string, options: MarkdownOptions = {}): string {
  return codeSpan(plainText(text, options.maxLength), options);
}

/** How much of the text is kept (default {@link MAX_SERVER_TEXT_LENGTH}), and whether it goes in a table cell. */
interface MarkdownOptions {
  maxLength?: number;
  table?: boolean;
}

function codeSpan(plain: string, { table = false }: MarkdownOptions): string {
  const longest = Math.max(0, ...(plain.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = plain.startsWith("`") || plain.endsWith("`") ? " " : "";
  const body = table ? plain.replaceAll("|", "\\|") : plain;
  return `${fence}${pad}${body}${pad}${fence}`;
}

/**
 * `value` as JSON (indented by two), its strings kept as data but no character a terminal acts on
 * written as is: besides the C0 controls JSON escapes, DEL, C1 controls, format characters (bidi,
 * zero-width) and line separators are written as `\uXXXX`. `JSON.parse` gives back the same value.
 */
export function jsonText(value: unknown): string {
  // A match is one or two UTF-16 units (a format character outside the BMP): each is written.
  const escape = (char: string, i: number) => `\\u${char.charCodeAt(i).toString(16).padStart(4, "0")}`;
  return JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\u2028\u2029\p{Cf}\p{Cs}]/gu, (char) =>
    char.length === 1 ? escape(char, 0) : escape(char, 0) + escape(char, 1),
  );
}

/**
 * {@link plainText} after redacting `secrets` (case-insensitively: percent-encoding may use either
 * case). Redaction runs before and after stripping, so a credential split by control characters is
 * still caught, and before the cut, so no prefix of one survives.
 */
export function serverTextCleaner(secrets: readonly string[]): ServerTextCleaner {
  const escaped = secrets.map((secret) => secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = secrets.length === 0 ? undefined : new RegExp(escaped.join("|"), "gi");
  const redact = (text: string): string => (pattern === undefined ? text : text.replace(pattern, REDACTED));
  const longest = Math.max(0, ...secrets.map((secret) => secret.length));
  return (text, maxLength = MAX_SERVER_TEXT_LENGTH) => {
    // Only a window of the text is looked at, ending before any credential the cut could have split.
    const window = windowOf(text, maxLength, longest);
    return cut(strip(redact(strip(redact(window), false)), false), maxLength);
  };
}
