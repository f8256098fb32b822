/**
 * Where the provider's lines go. In a provider process: progress lines to stdout (the Pulumi
 * engine shows them as the resource's output), warnings to the engine as warning diagnostics of the
 * resource (see engine-log.ts; printed like a progress line when no engine is reachable), the
 * client's retry lines to stderr. Tests and the bench pass their own to capture them.
 */
import { engineLog } from "./engine-log";

/** A warning of a set. No secret goes in `text` (messages are built from sanitized parts). */
export interface SetWarning {
  /** How lines name the set: `cyclecloud workers`, see {@link setLabel}. */
  label: string;
  /** The warning, without a `warning:` prefix (the engine shows the severity). */
  text: string;
  /** The set's URN, when known: the engine attaches the warning to the resource. */
  urn?: string | undefined;
}

export interface Logger {
  /** A progress line of a set. */
  info(line: string): void;
  /** A warning of a set. Without it, warnings go to {@link info} as {@link warningLine}. */
  warn?(warning: SetWarning): void;
  /** A line of the client (a retried request). */
  error(line: string): void;
  /** Resolves when the lines given so far are delivered (warnings sent to the engine). */
  flush?(): Promise<void>;
}

/** A warning as one line of output: `cyclecloud workers: warning: 2/3 ready, ...`. */
export function warningLine(warning: SetWarning): string {
  return `${warning.label}: warning: ${warning.text}`;
}

/**
 * The provider process's logger: `console.log` and `console.error` (looked up when called), and
 * warnings to the engine when the process has one.
 */
export const consoleLogger: Logger = {
  info: (line) => console.log(line),
  warn: (warning) => {
    const print = () => console.log(warningLine(warning));
    const engine = engineLog();
    if (engine) engine.warn(`${warning.label}: ${warning.text}`, warning.urn, print);
    else print();
  },
  error: (line) => console.error(line),
  flush: () => engineLog()?.flush() ?? Promise.resolve(),
};

/**
 * The URN in a set's identity (`<URN it was first declared under>#<token>`; see
 * node-set-identity.ts), if it has one (state written before identities held URNs does not). After
 * a rename or move with `aliases` it is the URN the set was first declared under.
 */
export function urnOfIdentity(identity: string): string | undefined {
  const urn = identity.split("#")[0] ?? "";
  return /^urn:pulumi:[^:]+::[^:]+::.+::.+$/.test(urn) ? urn : undefined;
}

/**
 * How lines name a set: `cyclecloud <name>`, and for a set declared inside components the types of
 * its parents from its URN, outermost first (`cyclecloud workers (in my:index:Cluster)`), so two
 * sets named alike under different components print lines one can tell apart. (Two sets whose URNs
 * name the same parent types and name cannot both exist: Pulumi refuses a duplicate URN.)
 */
export function setLabel(name: string, identity: string): string {
  const urn = urnOfIdentity(identity);
  const types = urn?.split("::")[2]?.split("$") ?? [];
  const parents = types.slice(0, -1);
  return parents.length > 0 ? `cyclecloud ${name} (in ${parents.join("/")})` : `cyclecloud ${name}`;
}
