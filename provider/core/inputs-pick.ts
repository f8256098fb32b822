/** The node set's inputs out of a property bag: checked props, state, or raw inputs with defaults. */
import type { InputKey, NodeSetInputs } from "./inputs";
import { INPUT_KEYS, NODE_SET_DEFAULTS } from "./inputs";

/**
 * The inputs in checked props or in state: the input keys only. Not parsed again: `check`
 * validated them (a value unknown during preview stays the sentinel), and state written before an
 * input existed lacks it (compared as its default, see diff-node-set.ts). The one place that
 * asserts the type of values `check` let through.
 */
export function pickInputs(props: object): NodeSetInputs {
  const source = props as Partial<Record<InputKey, unknown>>;
  const inputs: Partial<Record<InputKey, unknown>> = {};
  for (const key of INPUT_KEYS) if (source[key] !== undefined) inputs[key] = source[key];
  return inputs as NodeSetInputs;
}

/** Applies defaults to validated, fully known raw inputs. */
export function withDefaults(raw: Record<string, unknown>, baseRequestId: string): NodeSetInputs {
  const inputs: Record<string, unknown> = { ...pickInputs(raw) };
  for (const [key, value] of Object.entries(NODE_SET_DEFAULTS)) {
    if (inputs[key] === undefined) inputs[key] = value;
  }
  inputs["baseRequestId"] = baseRequestId;
  return inputs as NodeSetInputs;
}
