/**
 * Which base request id `check` gives a set: the one in state, or a new one derived from its
 * identity and spec, chained to the base it replaces.
 */
import { containsUnknown, REPLACE_KEYS, UNKNOWN } from "./inputs";
import { deriveBaseRequestId, replaceKeysChanged, replacementKeyOf } from "./request-id";

/**
 * The set's base request id: the one in state, unless a replace-triggering input changed; else
 * derived from the set's identity and spec (chaining the base it replaces, remembered in
 * `replacementBases` for the engine's second `check` of the replacement). Unknown during a
 * preview that cannot tell yet (an unknown replace input, or a new set whose identity is not made).
 */
export function baseRequestIdFor(
  replacementBases: Map<string, string>,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): string {
  if (REPLACE_KEYS.some((k) => containsUnknown(news[k]))) return UNKNOWN;
  const previous =
    typeof olds["baseRequestId"] === "string" && olds["baseRequestId"] !== UNKNOWN
      ? olds["baseRequestId"]
      : undefined;
  if (previous !== undefined && replaceKeysChanged(olds, news).length === 0) return previous;
  if (containsUnknown(news["identity"])) return UNKNOWN;
  // A replacement chains the base it replaces, unless the user gave a new explicit requestId.
  const spec = Object.fromEntries(REPLACE_KEYS.map((k) => [k, news[k]]));
  const newExplicitId = typeof news["requestId"] === "string" && news["requestId"] !== olds["requestId"];
  const key = replacementKeyOf(news["identity"], news);
  const chained = previous === undefined ? replacementBases.get(key) : undefined;
  const base =
    chained ?? deriveBaseRequestId(String(news["identity"]), spec, newExplicitId ? undefined : previous);
  if (previous !== undefined && !newExplicitId) replacementBases.set(key, base);
  return base;
}
