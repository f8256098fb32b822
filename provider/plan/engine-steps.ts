/**
 * The node sets of a preview, from the engine's event stream (the Automation API's `onEvent`):
 * each set's step with its old and new inputs (and its outputs in state), the sets' preflight
 * reports (info diagnostics, see {@link PREFLIGHT_REPORT_PREFIX}), and the errors and warnings the
 * engine reported. The plan's preview runs preflight in report mode
 * (`CYCLECLOUD_PREFLIGHT_OVERRIDE=report`), so no set's `check` is refused for capacity and every
 * set has its step.
 */
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { z } from "zod";
import { NODE_SET_TYPE } from "../engine/node-set-identity";
import { PREFLIGHT_REPORT_PREFIX } from "../core/preflight-report";
import type { PreflightReportMessage } from "../core/preflight-report";
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

const ReportSchema = z.object({
  set: z.string(),
  urn: z.string().exactOptional(),
  phase: z.enum(["check", "diff"]),
  cluster: z.string(),
  nodearray: z.string(),
  machineType: z.string().nullable(),
  placementGroupId: z.string().exactOptional(),
  availableNow: z.number(),
  requested: z.number(),
  availableAfter: z.number(),
  bindingLimit: z.string(),
  fits: z.boolean(),
  line: z.string(),
  preflight: z.literal("warn").exactOptional(),
});

/**
 * The report a diagnostic carries, undefined when it carries none. Throws when it carries one that
 * cannot be read (a provider of another version): the plan must not drop a decision.
 */
export function parseReport(message: string): PreflightReportMessage | undefined {
  const at = message.indexOf(PREFLIGHT_REPORT_PREFIX);
  if (at < 0) return undefined;
  const text = message.slice(at + PREFLIGHT_REPORT_PREFIX.length).trim();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`a preflight report is not JSON: ${text.slice(0, 200)}`);
  }
  const parsed = ReportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `a preflight report cannot be read (${issue?.path.join(".") ?? "?"}: ${issue?.message ?? "?"}): ` +
        "is the provider the same version of pulumi-cyclecloud as the plan?",
    );
  }
  return parsed.data;
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

/** The node sets' steps, preflight reports, errors and warnings of one preview; `add` takes each event. */
export class PreviewEvents {
  readonly steps: NodeSetStep[] = [];
  /** Error diagnostics by resource URN (node sets and others); `""` for the run's own. */
  readonly errors = new Map<string, string[]>();
  readonly reports: PreflightReportMessage[] = [];
  /** Warning diagnostics, and the client's `WARNING:` lines (insecure TLS, plain http), once each. */
  readonly warnings: string[] = [];
  /** Reports that could not be read (see {@link parseReport}). */
  readonly unreadable: string[] = [];
  readonly #byUrn = new Map<string, NodeSetStep>();

  add(event: EngineEvent): void {
    const diagnostic = event.diagnosticEvent;
    if (diagnostic !== undefined) {
      const message = diagnostic.message.trim();
      let report: PreflightReportMessage | undefined;
      try {
        report = diagnostic.severity === "info" ? parseReport(message) : undefined;
      } catch (error) {
        this.unreadable.push(error instanceof Error ? error.message : String(error));
      }
      if (report !== undefined) this.reports.push(report);
      else if (message.includes(PREFLIGHT_REPORT_PREFIX)) return;
      else if (diagnostic.severity === "error") {
        const urn = diagnostic.urn ?? "";
        this.errors.set(urn, [...(this.errors.get(urn) ?? []), message]);
      } else if (diagnostic.severity === "warning") this.#warn(message);
      else {
        // The client's warnings (insecure TLS, plain http) come as the provider's stderr lines.
        for (const line of message.split("\n")) {
          const at = line.indexOf("WARNING: ");
          if (at >= 0) this.#warn(line.slice(at + "WARNING: ".length).trim());
        }
      }
    }
    const metadata = event.resourcePreEvent?.metadata;
    if (metadata === undefined || metadata.type !== NODE_SET_TYPE) return;
    const action = ACTIONS[metadata.op];
    if (action === undefined) return;
    const known = this.#byUrn.get(metadata.urn);
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
    if (known === undefined) this.steps.push(step);
    else this.steps[this.steps.indexOf(known)] = step;
    this.#byUrn.set(metadata.urn, step);
  }

  #warn(text: string): void {
    if (!this.warnings.includes(text)) this.warnings.push(text);
  }
}
