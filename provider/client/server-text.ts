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

/** ANSI/VT escape sequences (CSI, OSC, and two-character escapes) and the remaining C0/C1 controls. */
const ESCAPES =
  // eslint-disable-next-line no-control-regex
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-_]?|\u009b[0-?]*[ -/]*[@-~]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A cleaner that redacts `secrets` (case-insensitively: percent-encoding may use either case), strips
 * escapes and control characters (a line break becomes a space), folds whitespace and cuts to
 * `maxLength` characters with `...`. Redaction runs before and after stripping, so a credential split
 * by control characters is still caught, and before the cut, so no prefix of one survives.
 */
export function serverTextCleaner(secrets: readonly string[]): ServerTextCleaner {
  const pattern = secrets.length === 0 ? undefined : new RegExp(secrets.map(escapeRegExp).join("|"), "gi");
  const redact = (text: string): string => (pattern === undefined ? text : text.replace(pattern, REDACTED));
  const longest = Math.max(0, ...secrets.map((secret) => secret.length));
  return (text, maxLength = MAX_SERVER_TEXT_LENGTH) => {
    // Bounded work whatever the body's size: only a window of the text is looked at, ending before
    // any credential the cut could have split.
    const size = maxLength * 8 + 4096;
    const window = text.length > size ? text.slice(0, Math.max(0, size - longest)) : text;
    const plain = redact(redact(window).replace(ESCAPES, "").replace(/\s+/g, " ").replace(CONTROLS, ""))
      .replace(/\s+/g, " ")
      .trim();
    return plain.length > maxLength ? `${plain.slice(0, maxLength)}...` : plain;
  };
}
