import { createHash } from "node:crypto";
import type { ReplaceKey } from "./inputs";
import { REPLACE_KEYS } from "./inputs";

type ReplaceSpec = Partial<Record<ReplaceKey, unknown>>;

/** JSON with object keys sorted, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * The base of every create request id of a node set: `pcc-` and 24 hex digits of a SHA-256 over
 * the set's identity (see node-set-identity.ts), its replace-triggering inputs and, for a
 * replacement, the base of the set it replaces; or, with an explicit `requestId`,
 * `<requestId>.<8 hex digits>` of the same digest. The identity makes the base unique per resource
 * instance, so an explicit `requestId` is a readable prefix, never a name two sets share (two
 * stacks of one program, a component instantiated twice, a copied set): a create answered 409
 * adopts the nodes of its request id, which must then be the set's own. Deterministic: the same
 * program and state derive the same id on every run and every machine, which is what lets a retried
 * create find the nodes of an interrupted one (the identity is in state before the first create).
 * Chaining the replaced base keeps a replacement from ever sharing a base with a set still alive
 * (the one it replaces, or one pending deletion).
 */
export function deriveBaseRequestId(identity: string, spec: ReplaceSpec, replacedBase?: string): string {
  const material: Record<string, unknown> = { identity };
  for (const key of REPLACE_KEYS) {
    if (key !== "requestId" && spec[key] !== undefined) material[key] = spec[key];
  }
  if (replacedBase !== undefined) material["replaces"] = replacedBase;
  const digest = createHash("sha256").update(canonicalJson(material)).digest("hex");
  if (typeof spec.requestId === "string") return `${spec.requestId}.${digest.slice(0, 8)}`;
  return `pcc-${digest.slice(0, 24)}`;
}

/** The request id of the `sequence`-th create request of a set: `<base>-<sequence>`. */
export function requestIdFor(base: string, sequence: number): string {
  return `${base}-${sequence}`;
}

/** The sequence number of a request id of this base, or undefined for a foreign id. */
export function sequenceOf(base: string, requestId: string): number | undefined {
  const prefix = `${base}-`;
  if (!requestId.startsWith(prefix)) return undefined;
  const rest = requestId.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

/** The first sequence number after every request id of this base already used. */
export function nextSequence(base: string, requestIds: readonly string[]): number {
  return Math.max(0, ...requestIds.map((id) => (sequenceOf(base, id) ?? -1) + 1));
}

/** Whether two specs differ in a replace-triggering input (deep comparison). */
export function replaceKeysChanged(olds: ReplaceSpec, news: ReplaceSpec): ReplaceKey[] {
  return REPLACE_KEYS.filter((key) => canonicalJson(olds[key] ?? null) !== canonicalJson(news[key] ?? null));
}

/**
 * The key of one set's spec, by identity and replace-triggering inputs: what links the engine's two
 * checks of one replacement (the second has no old inputs).
 */
export function replacementKeyOf(identity: unknown, props: ReplaceSpec): string {
  return canonicalJson([identity, Object.fromEntries(REPLACE_KEYS.map((k) => [k, props[k]]))]);
}

/** A base this library derives: `pcc-` and 24 hex digits, or an explicit prefix then `.` and 8 hex digits. */
const BASE = String.raw`(?:pcc-[0-9a-f]{24}|[A-Za-z0-9._-]+\.[0-9a-f]{8})`;
const LIBRARY_BASE = new RegExp(`^${BASE}$`);
/** A request id of such a base: then `-<n>`, or `.pg<i>-<n>` for a placement group's create. */
const LIBRARY_REQUEST_ID = new RegExp(String.raw`^${BASE}(?:-|\.pg[0-9]+-)(?:0|[1-9][0-9]*)$`);

/** Whether a text has the format of the bases this library derives (see {@link deriveBaseRequestId}). */
export function isLibraryBase(text: string): boolean {
  return LIBRARY_BASE.test(text);
}

/** Whether a request id has the format of the ids this library derives (see LIBRARY_REQUEST_ID). */
export function isLibraryRequestId(requestId: string): boolean {
  return LIBRARY_REQUEST_ID.test(requestId);
}

/**
 * Whether a request id is one of a set's: `<base>-<n>`, or a placement group's `<base>.pg<i>-<n>`;
 * exactly, so the ids of another set whose explicit `requestId` begins with this base (e.g.
 * `<base>-0`, which `check` allows) are not taken for its own.
 */
export function isRequestIdOf(base: string, requestId: string): boolean {
  if (!requestId.startsWith(base)) return false;
  return /^(?:\.pg(?:0|[1-9][0-9]*))?-(?:0|[1-9][0-9]*)$/.test(requestId.slice(base.length));
}
