/**
 * Node lifecycle, computed lazily from timestamps: a node stores the phase it entered and when,
 * and every read derives its `Status` from the clock. With zero durations every transition is
 * immediate, so tests with zero timing are deterministic.
 */
import type { InitialNodeDefinition } from "./state";

/** How a node created while `fail-next-nodes` is armed goes wrong. */
export interface ProvisioningFailure {
  /** `acquiring`: Failed without addresses; `preparing`: Failed after getting addresses; `stuck`: Acquiring forever. */
  readonly phase: "acquiring" | "preparing" | "stuck";
  readonly message: string;
}

/** A phase that ends `durationMs` after `since`, of a node that may have addresses. */
interface Ending {
  readonly since: number;
  readonly durationMs: number;
  readonly addressed: boolean;
}

export type NodePhase =
  | {
      readonly kind: "starting";
      readonly since: number;
      readonly acquiringMs: number;
      readonly preparingMs: number;
      readonly failure: ProvisioningFailure | undefined;
    }
  | { readonly kind: "failed"; readonly since: number; readonly message: string; readonly addressed: boolean }
  /** With `keepRecord` (a `Fixed` node), once terminated its record stays, `Off`, instead of going. */
  | (Ending & { readonly kind: "terminating"; readonly keepRecord?: boolean })
  /** A head node running since the cluster started (a static node is `Started`, not `Ready`). */
  | { readonly kind: "started"; readonly since: number }
  /** A `Fixed` node whose VM is terminated: listed, holds nothing, can be started again. */
  | { readonly kind: "off"; readonly since: number }
  | (Ending & { readonly kind: "stopping" })
  | { readonly kind: "deallocated"; readonly since: number; readonly addressed: boolean };

/** What a phase looks like at one instant. */
export interface NodeObservation {
  readonly status: string;
  readonly state: string;
  readonly targetState: string;
  /** Hostname, PrivateIp and InstanceId are shown (the VM exists and has been given addresses). */
  readonly addressed: boolean;
  readonly statusMessage: string | undefined;
  /** Termination has completed: the node is no longer listed and holds nothing. */
  readonly gone: boolean;
  /**
   * The node counts against count and core limits (bucket, nodearray, cluster, placement group).
   * Deallocated nodes do not; terminating nodes do until they are gone.
   */
  readonly holdsCapacity: boolean;
  /** The node is subtracted from `availableCount`: like `holdsCapacity`, except terminating nodes (the quirk). */
  readonly reducesAvailability: boolean;
}

/** A node's `State` and `TargetState` by its `Status`. */
const STATE_OF = {
  Acquiring: ["Acquiring", "Started"],
  Preparing: ["Preparing", "Started"],
  Ready: ["Started", "Started"],
  Started: ["Started", "Started"],
  Failed: ["Failed", "Started"],
  Terminating: ["Terminating", "Terminated"],
  Terminated: ["Terminated", "Terminated"],
  Off: ["Off", "Terminated"],
  Stopping: ["Deallocating", "Deallocated"],
  Deallocated: ["Deallocated", "Deallocated"],
} as const;

function observation(
  status: keyof typeof STATE_OF,
  addressed: boolean,
  fields: Partial<
    Pick<NodeObservation, "statusMessage" | "gone" | "holdsCapacity" | "reducesAvailability">
  > = {},
): NodeObservation {
  const [state, targetState] = STATE_OF[status];
  return {
    status,
    state,
    targetState,
    addressed,
    statusMessage: fields.statusMessage,
    gone: fields.gone ?? false,
    holdsCapacity: fields.holdsCapacity ?? true,
    reducesAvailability: fields.reducesAvailability ?? fields.holdsCapacity ?? true,
  };
}

/**
 * The phase of a node first seen in `status` (a replica's node): running, failed with `message`,
 * deallocated, off, or terminating from `now` for `terminatingMs`.
 */
export function phaseSeenAs(
  status: InitialNodeDefinition["status"],
  seen: { readonly now: number; readonly terminatingMs: number; readonly message?: string | undefined },
): NodePhase {
  switch (status) {
    case "Ready":
      return { kind: "starting", since: 0, acquiringMs: 0, preparingMs: 0, failure: undefined };
    case "Failed":
      return { kind: "failed", since: 0, message: seen.message ?? "Failed", addressed: true };
    case "Deallocated":
      return { kind: "deallocated", since: 0, addressed: true };
    case "Off":
      return { kind: "off", since: 0 };
    case "Terminating":
      return { kind: "terminating", since: seen.now, durationMs: seen.terminatingMs, addressed: true };
  }
}

/** The node's `Status`, `State`, `TargetState` and accounting flags at time `now` (ms). */
export function observePhase(phase: NodePhase, now: number): NodeObservation {
  const elapsed = now - phase.since;
  switch (phase.kind) {
    case "starting": {
      const failure = phase.failure;
      if (failure?.phase === "stuck" || elapsed < phase.acquiringMs) return observation("Acquiring", false);
      if (failure?.phase === "acquiring") {
        return observation("Failed", false, { statusMessage: failure.message });
      }
      if (elapsed < phase.acquiringMs + phase.preparingMs) return observation("Preparing", true);
      if (failure?.phase === "preparing") {
        return observation("Failed", true, { statusMessage: failure.message });
      }
      return observation("Ready", true);
    }
    case "failed":
      return observation("Failed", phase.addressed, { statusMessage: phase.message });
    case "terminating":
      if (elapsed < phase.durationMs) {
        return observation("Terminating", phase.addressed, { reducesAvailability: false });
      }
      if (phase.keepRecord === true) return observation("Off", false, { holdsCapacity: false });
      return observation("Terminated", false, { gone: true, holdsCapacity: false });
    case "started":
      return observation("Started", true);
    case "off":
      return observation("Off", false, { holdsCapacity: false });
    case "stopping":
      if (elapsed < phase.durationMs) return observation("Stopping", phase.addressed);
      return observation("Deallocated", phase.addressed, { holdsCapacity: false });
    case "deallocated":
      return observation("Deallocated", phase.addressed, { holdsCapacity: false });
  }
}
