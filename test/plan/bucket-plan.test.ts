/**
 * The capacity plan's parts (issue 13 item 2, issue 22 item 1): the node sets' steps, preflight
 * reports, errors and warnings from the engine's events; the rows made of them (what the sets'
 * own preflight judged, nothing recomputed); the renderings; the engine's error text of a failed
 * preview.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { describe, expect, test } from "vitest";
import { planBuckets, planChanges } from "../../provider/plan/bucket-plan";
import { engineError } from "../../provider/plan/capacity-plan";
import { parseReport, PreviewEvents } from "../../provider/plan/engine-steps";
import type { CapacityPlan } from "../../provider/plan/plan-types";
import { renderMarkdown, renderTable } from "../../provider/plan/render-plan";
import type { PreflightReport } from "../../provider/core/preflight-report";
import { PREFLIGHT_REPORT_PREFIX, preflightReportMessage } from "../../provider/core/preflight-report";

const HC = "Standard_Hc44rs";
const FS = "Standard_Fs32_v2";
const TYPE = "pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSet";
const urn = (name: string) => `urn:pulumi:dev::proj::${TYPE}::${name}`;
const set = (machineType: string, count: number) => ({
  cluster: "hpc",
  nodearray: "ondemand",
  machineType,
  count,
});

function event(
  op: string,
  name: string,
  olds?: Record<string, unknown>,
  news?: Record<string, unknown>,
): EngineEvent {
  return {
    sequence: 0,
    timestamp: 0,
    resourcePreEvent: {
      metadata: {
        op: op as never,
        urn: urn(name),
        type: TYPE,
        provider: "",
        ...(olds === undefined ? {} : { old: { inputs: olds, outputs: olds } as never }),
        ...(news === undefined ? {} : { new: { inputs: news } as never }),
      },
    },
  };
}

function diagnostic(
  severity: "info" | "info#err" | "warning" | "error",
  message: string,
  name?: string,
): EngineEvent {
  return {
    sequence: 1,
    timestamp: 0,
    diagnosticEvent: { ...(name === undefined ? {} : { urn: urn(name) }), message, color: "never", severity },
  };
}

/** A report of `requested` nodes against `availableNow`, as preflight makes it. */
function report(
  requested: number,
  availableNow: number,
  extra: Partial<PreflightReport> = {},
): PreflightReport {
  return {
    phase: "check",
    cluster: "hpc",
    nodearray: "ondemand",
    machineType: HC,
    availableNow,
    requested,
    availableAfter: availableNow - requested,
    bindingLimit: "nodearray maxCoreCount",
    fits: requested <= availableNow,
    line: `preflight hpc/ondemand ${HC}: +${requested} requested, ${availableNow} available`,
    ...extra,
  };
}

describe("preflight reports in diagnostics", () => {
  test("a report's message reads back as the report, with its set and URN", () => {
    const message = preflightReportMessage("grown", urn("grown"), report(2, 8));
    expect(message.startsWith(PREFLIGHT_REPORT_PREFIX)).toBe(true);
    expect(parseReport(`${message}\n`)).toEqual({ set: "grown", urn: urn("grown"), ...report(2, 8) });
    const inGroup = report(3, 1, { placementGroupId: "pg0", fits: false });
    expect(parseReport(preflightReportMessage("mpi", undefined, inGroup))).toEqual({
      set: "mpi",
      ...inGroup,
    });
  });

  test("a diagnostic without the prefix carries no report", () => {
    expect(parseReport("cyclecloud grown: preflight hpc/ondemand: +2 requested")).toBeUndefined();
  });

  test("a report that cannot be read is an error naming the field, not a dropped decision", () => {
    expect(() => parseReport(`${PREFLIGHT_REPORT_PREFIX}{not json`)).toThrow(
      "a preflight report is not JSON: {not json",
    );
    const { requested: _requested, ...partial } = report(2, 8);
    expect(() =>
      parseReport(`${PREFLIGHT_REPORT_PREFIX}${JSON.stringify({ set: "a", ...partial })}`),
    ).toThrow(
      /^a preflight report cannot be read \(requested: .+\): is the provider the same version of pulumi-cyclecloud as the plan\?$/,
    );
  });
});

describe("engine events", () => {
  test("steps (a replacement's three make one), reports, errors by URN, warnings once each; other lines left out", () => {
    const collector = new PreviewEvents();
    collector.add(event("create-replacement", "a", set(FS, 1), set(HC, 2)));
    collector.add(event("replace", "a", set(FS, 1), set(HC, 2)));
    collector.add(event("delete-replaced", "a", set(FS, 1)));
    collector.add(event("update", "b", set(HC, 1), set(HC, 3)));
    collector.add({
      ...event("create", "c"),
      resourcePreEvent: { metadata: { op: "create", urn: "x", type: "aws:s3:Bucket", provider: "" } },
    });
    collector.add(diagnostic("info", preflightReportMessage("b", urn("b"), report(2, 8)), "b"));
    collector.add(diagnostic("info", "cyclecloud b: preflight hpc/ondemand: fits", "b"));
    collector.add(diagnostic("error", "refused\n", "d"));
    collector.add(diagnostic("warning", "cyclecloud b: 1/3 ready\n", "b"));
    const tls =
      "cyclecloud: WARNING: TLS certificate verification is OFF for CycleCloud at https://cc:8443 (`insecure: true`): use `caCert`";
    collector.add(diagnostic("info#err", `${tls}\n`));
    collector.add(diagnostic("info#err", `${tls}\n`));
    expect(collector.steps.map(({ name, action }) => [name, action])).toEqual([
      ["a", "replace"],
      ["b", "update"],
    ]);
    expect(collector.reports).toEqual([{ set: "b", urn: urn("b"), ...report(2, 8) }]);
    expect([...collector.errors]).toEqual([[urn("d"), ["refused"]]]);
    expect(collector.warnings).toEqual([
      "cyclecloud b: 1/3 ready",
      "TLS certificate verification is OFF for CycleCloud at https://cc:8443 (`insecure: true`): use `caCert`",
    ]);
    expect(collector.unreadable).toEqual([]);
  });

  test("an unreadable report is kept as a problem, not thrown at the engine's callback", () => {
    const collector = new PreviewEvents();
    collector.add(diagnostic("info", `${PREFLIGHT_REPORT_PREFIX}{`, "b"));
    expect(collector.reports).toEqual([]);
    expect(collector.unreadable).toEqual(["a preflight report is not JSON: {"]);
  });
});

describe("rows", () => {
  const steps = () => {
    const collector = new PreviewEvents();
    collector.add(event("update", "grown", set(HC, 1), set(HC, 3)));
    collector.add(event("create-replacement", "replaced", set(FS, 1), set(HC, 2)));
    collector.add(event("update", "shrunk", set(FS, 2), set(FS, 1)));
    collector.add(event("create", "fresh", undefined, { cluster: "hpc", nodearray: "ondemand", count: 1 }));
    return collector.steps;
  };

  test("one row per set, phase and bucket, in the order preflight judged them; a replacement's second check replaces its first", () => {
    const grown = { set: "grown", urn: urn("grown"), ...report(2, 8) };
    const replacedFirst = { set: "replaced", urn: urn("replaced"), ...report(2, 6) };
    const healed = { set: "grown", urn: urn("grown"), ...report(1, 4, { phase: "diff" }) };
    const replacedAgain = { ...replacedFirst, line: "second check" };
    const { set: _s, urn: _u, phase: _p, ...grownRow } = grown;
    const { set: _s2, urn: _u2, phase: _p2, ...healedRow } = healed;
    const { set: _s3, urn: _u3, phase: _p3, ...replacedRow } = replacedAgain;
    expect(planBuckets(steps(), [grown, replacedFirst, healed, replacedAgain])).toEqual([
      { set: "grown", ...grownRow },
      { set: "grown", ...healedRow },
      { set: "replaced", ...replacedRow },
    ]);
  });

  test("a report without URN (a set whose identity holds none) is named by its set", () => {
    const rows = planBuckets(steps(), [{ set: "old-set", ...report(1, 0) }]);
    expect(rows.map((row) => [row.set, row.fits, row.availableAfter])).toEqual([["old-set", false, -1]]);
  });

  test("changes: action and counts from the steps; the machine type preflight judged, else the input, else none", () => {
    const changes = planChanges(
      steps(),
      [{ set: "fresh", urn: urn("fresh"), ...report(1, 3, { machineType: FS }) }],
      new Map([[urn("shrunk"), ["boom", "again"]]]),
    );
    expect(changes.map(({ urn: _urn, ...change }) => change)).toEqual([
      {
        name: "grown",
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: HC,
        action: "update",
        from: 1,
        to: 3,
      },
      {
        name: "replaced",
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: HC,
        action: "replace",
        from: 1,
        to: 2,
      },
      {
        name: "shrunk",
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: FS,
        action: "update",
        from: 2,
        to: 1,
        error: "boom\nagain",
      },
      {
        name: "fresh",
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: FS,
        action: "create",
        from: 0,
        to: 1,
      },
    ]);
    expect(planChanges(steps(), [], new Map()).at(-1)?.machineType).toBeNull();
  });
});

describe("a failed preview", () => {
  test("the engine's own text: the tail of its stderr, blank lines left out", () => {
    const stderr = [
      ...Array.from({ length: 30 }, (_, i) => `line ${i + 1}`),
      "",
      "error: getting stack configuration: incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase",
      "",
    ].join("\n");
    const error = Object.assign(new Error("Command failed with exit code 1: pulumi preview --stack dev"), {
      commandResult: { stderr, stdout: "", code: 1 },
    });
    expect(engineError(error)).toBe(
      [
        ...Array.from({ length: 19 }, (_, i) => `line ${i + 12}`),
        "error: getting stack configuration: incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase",
      ].join("\n"),
    );
  });

  test("without stderr, the error's message", () => {
    expect(engineError(new Error("spawn pulumi ENOENT\n"))).toBe("spawn pulumi ENOENT");
  });
});

describe("rendering", () => {
  const plan: CapacityPlan = {
    stack: "prod",
    fits: false,
    refused: true,
    changes: [
      {
        name: "w|1",
        urn: urn("w"),
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: HC,
        action: "update",
        from: 1,
        to: 12,
        error: "does not fit\nat all",
      },
    ],
    buckets: [
      {
        set: "w|1",
        cluster: "hpc",
        nodearray: "ondemand",
        machineType: HC,
        availableNow: 5,
        requested: 11,
        availableAfter: -6,
        bindingLimit: "nodearray maxCoreCount",
        fits: false,
        line: "preflight hpc/ondemand Standard_Hc44rs: +11 requested, 5 available: lower `count`",
      },
    ],
    warnings: [],
  };

  test("Markdown: tables with escaped cells, the verdict, the error and preflight's refusal quoted", () => {
    const text = renderMarkdown(plan);
    expect(text).toContain("### Capacity plan of stack `prod`: **does not fit**");
    expect(text).toContain("| `w\\|1` | hpc | ondemand | Standard_Hc44rs | update | 1 | 12 |");
    expect(text).toContain(
      "| `w\\|1` | hpc | ondemand | Standard_Hc44rs | 5 | 11 | -6 | nodearray maxCoreCount | NO |",
    );
    expect(text).toContain("> `w|1: does not fit at all`");
    expect(text).toContain(
      "> `` w|1: preflight hpc/ondemand Standard_Hc44rs: +11 requested, 5 available: lower `count` ``",
    );
  });

  test("terminal table: aligned columns", () => {
    const lines = renderTable(plan).split("\n");
    const header = lines.find((line) => line.startsWith("node set") && line.includes("binding limit"));
    const row = lines.find((line) => line.startsWith("w|1") && line.includes("maxCoreCount"));
    expect(header?.indexOf("binding limit")).toBe(row?.indexOf("nodearray maxCoreCount"));
    expect(header?.indexOf("binding limit")).toBeGreaterThan(0);
  });
});
