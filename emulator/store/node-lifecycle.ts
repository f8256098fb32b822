/**
 * Node lifecycle, computed lazily from timestamps: a node stores the phase it entered and when,
 * and every read derives its `Status` from the clock. With zero durations every transition is
 * immediate, so tests with zero timing are deterministic.
 */

/** How a node created while `fail-next-nodes` is armed goes wrong. */
export interface ProvisioningFailure {
  /** `acquiring`: Failed without addresses; `preparing`: Failed after getting addresses; `stuck`: Acquiring forever. */
  readonly phase: "acquiring" | "preparing" | "stuck";
  readonly message: string;
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
  | {
      readonly kind: "terminating";
      readonly since: number;
      readonly durationMs: number;
      readonly addressed: boolean;
      /** A `Fixed` node: once terminated its record stays, `Off`, instead of going. */
      readonly keepRecord?: boolean;
    }
  /** A head node running since the cluster started (a static node is `Started`, not `Ready`). */
  | { readonly kind: "started"; readonly since: number }
  /** A `Fixed` node whose VM is terminated: listed, holds nothing, can be started again. */
  | { readonly kind: "off"; readonly since: number }
  | {
      readonly kind: "stopping";
      readonly since: number;
      readonly durationMs: number;
      readonly addressed: boolean;
    }
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

function observation(
  status: string,
  state: string,
  targetState: string,
  addressed: boolean,
  fields: Partial<
    Pick<NodeObservation, "statusMessage" | "gone" | "holdsCapacity" | "reducesAvailability">
  > = {},
): NodeObservation {
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

/** The node's `Status`, `State`, `TargetState` and accounting flags at time `now` (ms). */
export function observePhase(phase: NodePhase, now: number): NodeObservation {
  const elapsed = now - phase.since;
  switch (phase.kind) {
    case "starting": {
      const failure = phase.failure;
      if (failure?.phase === "stuck" || elapsed < phase.acquiringMs) {
        return observation("Acquiring", "Acquiring", "Started", false);
      }
      if (failure?.phase === "acquiring") {
        return observation("Failed", "Failed", "Started", false, { statusMessage: failure.message });
      }
      if (elapsed < phase.acquiringMs + phase.preparingMs) {
        return observation("Preparing", "Preparing", "Started", true);
      }
      if (failure?.phase === "preparing") {
        return observation("Failed", "Failed", "Started", true, { statusMessage: failure.message });
      }
      return observation("Ready", "Started", "Started", true);
    }
    case "failed":
      return observation("Failed", "Failed", "Started", phase.addressed, { statusMessage: phase.message });
    case "terminating":
      if (elapsed < phase.durationMs) {
        return observation("Terminating", "Terminating", "Terminated", phase.addressed, {
          reducesAvailability: false,
        });
      }
      if (phase.keepRecord === true) {
        return observation("Off", "Off", "Terminated", false, { holdsCapacity: false });
      }
      return observation("Terminated", "Terminated", "Terminated", false, {
        gone: true,
        holdsCapacity: false,
      });
    case "started":
      return observation("Started", "Started", "Started", true);
    case "off":
      return observation("Off", "Off", "Terminated", false, { holdsCapacity: false });
    case "stopping":
      if (elapsed < phase.durationMs) {
        return observation("Stopping", "Deallocating", "Deallocated", phase.addressed);
      }
      return observation("Deallocated", "Deallocated", "Deallocated", phase.addressed, {
        holdsCapacity: false,
      });
    case "deallocated":
      return observation("Deallocated", "Deallocated", "Deallocated", phase.addressed, {
        holdsCapacity: false,
      });
  }
}
