/**
 * The node sets of a preview, from the engine's event stream (the Automation API's `onEvent`):
 * each set's step with its old and new inputs (and its outputs in state), and the errors the engine
 * reported. The plan's preview runs with preflight off (`CYCLECLOUD_PREFLIGHT_OVERRIDE`), so no
 * set's `check` is refused for capacity and every set has its step.
 */
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { NODE_SET_TYPE } from "../resource/node-set-identity";
import type { PlanAction } from "./plan-types";

/** One node set's step: what the engine will do and the inputs before and after. */
export interface NodeSetStep {
  readonly urn: string;
  readonly name: string;
  readonly action: PlanAction;
  readonly olds: Record<string, unknown> | undefined;
  readonly news: Record<string, unknown> | undefined;
  /** The set's outputs in state (its `nodes` with their status); undefined for a new set. */
  readonly oldOutputs?: Record<string, unknown> | undefined;
}

/** The steps and errors of the node sets of one preview, in the engine's order. */
export interface PreviewEvents {
  readonly steps: NodeSetStep[];
  /** Error diagnostics by resource URN (node sets and others); `""` for the run's own. */
  readonly errors: Map<string, string[]>;
}

const ACTIONS: Partial<Record<OpType, PlanAction>> = {
  same: "same",
  create: "create",
  update: "update",
  delete: "delete",
  replace: "replace",
  "create-replacement": "replace",
  "delete-replaced": "replace",
};

/** The resource name of a URN (its last `::` part). */
export function resourceName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/** Collects the node sets' steps and the error diagnostics; call `add` for every event. */
export function previewEventCollector(): PreviewEvents & { add(event: EngineEvent): void } {
  const steps: NodeSetStep[] = [];
  const errors = new Map<string, string[]>();
  const byUrn = new Map<string, NodeSetStep>();
  return {
    steps,
    errors,
    add(event) {
      const diagnostic = event.diagnosticEvent;
      if (diagnostic !== undefined && diagnostic.severity === "error") {
        const urn = diagnostic.urn ?? "";
        errors.set(urn, [...(errors.get(urn) ?? []), diagnostic.message.trim()]);
      }
      const metadata = event.resourcePreEvent?.metadata;
      if (metadata === undefined || metadata.type !== NODE_SET_TYPE) return;
      const action = ACTIONS[metadata.op];
      if (action === undefined) return;
      const known = byUrn.get(metadata.urn);
      // A replacement comes as several steps (create-replacement, replace, delete-replaced):
      // one entry, with the inputs each step carries.
      const step: NodeSetStep = {
        urn: metadata.urn,
        name: resourceName(metadata.urn),
        action: known?.action === "replace" ? "replace" : action,
        olds: metadata.old?.inputs ?? known?.olds,
        news: metadata.new?.inputs ?? known?.news,
        oldOutputs: metadata.old?.outputs ?? known?.oldOutputs,
      };
      if (known === undefined) steps.push(step);
      else steps[steps.indexOf(known)] = step;
      byUrn.set(metadata.urn, step);
    },
  };
}
