/**
 * Which base request id `check` gives a set: the one in state, or a new one derived from its
 * identity and spec, chained to the base it replaces. And the refusal of an explicit `requestId`
 * that has the format of a base this library derives (another set's, in this stack or another).
 */
import type { CheckFailure } from "./inputs-check";
import { REPLACE_KEYS } from "./inputs";
import { containsUnknown, UNKNOWN } from "./inputs-unknown";
import { deriveBaseRequestId, isLibraryBase, replaceKeysChanged, replacementKeyOf } from "./request-id";
import type { Bag } from "./set-change";

/**
 * The set's base request id: the one in state, unless a replace-triggering input changed; else
 * derived from the set's identity and spec (chaining the base it replaces, remembered in
 * `bases` for the engine's second `check` of the replacement). Unknown during a
 * preview that cannot tell yet (an unknown replace input, or a new set whose identity is not made).
 * A set in state keeps its stored base, even one an explicit `requestId` gave verbatim before
 * explicit ids were made unique per set.
 */
export function baseRequestIdFor(bases: Map<string, string>, olds: Bag, news: Bag): string {
  if (REPLACE_KEYS.some((k) => containsUnknown(news[k]))) return UNKNOWN;
  const previous = storedBase(olds);
  if (previous !== undefined && replaceKeysChanged(olds, news).length === 0) return previous;
  if (containsUnknown(news["identity"])) return UNKNOWN;
  // A replacement chains the base it replaces, an explicit `requestId` or not.
  const spec = Object.fromEntries(REPLACE_KEYS.map((k) => [k, news[k]]));
  const key = replacementKeyOf(news["identity"], news);
  const chained = previous === undefined ? bases.get(key) : undefined;
  const base = chained ?? deriveBaseRequestId(String(news["identity"]), spec, previous);
  if (previous !== undefined) bases.set(key, base);
  return base;
}

/**
 * Refuses an explicit `requestId` in the format of a base this library derives (`pcc-` and 24 hex
 * digits, or ending `.` and 8 hex digits): it names another set's base (seen in its outputs), or
 * looks like one. Allowed when the set already has it: its own stored base or its `requestId` in
 * state (state written before explicit ids were made unique), or the replacement of such a set
 * (the engine's second `check` of a replacement has no old inputs; the first one recorded it).
 */
export function requestIdFailures(bases: Map<string, string>, olds: Bag, news: Bag): CheckFailure[] {
  const requestId = news["requestId"];
  if (typeof requestId !== "string" || containsUnknown(requestId) || !isLibraryBase(requestId)) return [];
  if (requestId === storedBase(olds) || requestId === olds["requestId"]) return [];
  if (isRecordedReplacement(bases, news)) return [];
  const prefix = requestId.startsWith("pcc-") ? "mpi" : requestId.slice(0, requestId.lastIndexOf("."));
  const reason =
    `\`requestId\` "${requestId}" has the format of a base request id this library derives ` +
    "(`pcc-` and 24 hex digits, or ending `.` and 8 hex digits), so it may be another node set's, " +
    "whose nodes this set would then take over: give a readable prefix instead, such as " +
    `"${prefix}" (the set appends \`.<8 hex digits>\` of its own), or omit \`requestId\`. ` +
    "(The nodes of a set destroyed while its create was pending, which no stack holds any more, " +
    'are taken over with `adoptExisting` and `orphaned: true` instead: README, "Errors and troubleshooting".)';
  return [{ property: "requestId", reason }];
}

/** Whether the first `check` of a replacement of this set recorded its base (see {@link baseRequestIdFor}). */
export function isRecordedReplacement(bases: Map<string, string>, news: Bag): boolean {
  return !containsUnknown(news["identity"]) && bases.has(replacementKeyOf(news["identity"], news));
}

function storedBase(olds: Bag): string | undefined {
  const base = olds["baseRequestId"];
  return typeof base === "string" && base !== UNKNOWN ? base : undefined;
}
