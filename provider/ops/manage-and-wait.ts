/**
 * Managing a set's nodes by id (terminate, deallocate, start, in batches) and waiting on them:
 * until they are ready or failed, or until they are gone. No Pulumi here.
 */
import type { OperationContext, SetHoldings } from "./node-set-listing";
import type { NodeInfo } from "../core/node-set-state";
import { describeProgress, isMember, nodePhase } from "../core/node-set-state";
import { cannotCome } from "../core/convergence-plan";
import { describeFailures } from "../core/failure-messages";
import { pollDelay } from "./tuning";

interface WaitResult {
  nodes: NodeInfo[];
  timedOut: boolean;
  /** Nodes not waited for: still acquiring after their request hit a capacity failure. */
  abandoned: NodeInfo[];
}

/**
 * Polls the set's nodes until every member is ready (`Ready` with an address), failed or
 * deallocated, or the timeout passes. Requests whose nodes have all settled are not listed again.
 */
export async function waitForSettled(
  ctx: OperationContext,
  holdings: SetHoldings,
  expected: number,
  timeoutSeconds: number,
): Promise<WaitResult> {
  const start = ctx.now();
  const settled = (n: NodeInfo) => nodePhase(n) !== "provisioning";
  const byRequest = new Map(
    holdings.requestIds.map((id) => [id, holdings.nodes.filter((n) => n.requestId === id)]),
  );
  let adopted = holdings.nodes.filter((n) => n.requestId === undefined || !byRequest.has(n.requestId));
  let lastLine = "";
  let lastLogAt = 0;
  for (let poll = 0; ; poll++) {
    if (poll > 0) {
      // One poll round of the cluster (shared with the other sets waiting on it) answers all asks.
      const asks = [...byRequest]
        .filter(([, nodes]) => !nodes.filter(isMember).every(settled))
        .map(async ([requestId, nodes]) => {
          byRequest.set(requestId, (await ctx.rounds.requestNodes(requestId, nodes)) ?? []);
        });
      if (!adopted.filter(isMember).every(settled))
        asks.push(ctx.rounds.currentRecords(adopted).then((nodes) => void (adopted = nodes)));
      await Promise.all(asks);
    }
    const nodes = [...[...byRequest.values()].flat(), ...adopted];
    const members = nodes.filter(isMember);
    const elapsed = ctx.now() - start;
    const failed = members.filter((n) => nodePhase(n) === "failed");
    // The failed nodes are counted once, with their reasons: `2/3 ready; 1 failed: AllocationFailed: ...`.
    const progress = describeProgress(
      members.filter((n) => !failed.includes(n)),
      expected,
    );
    const line = [progress, ...describeFailures(failed)].join("; ");
    const abandoned = cannotCome(members);
    if (members.every((n) => settled(n) || abandoned.includes(n))) {
      if (poll > 0) ctx.log(line);
      if (abandoned.length > 0)
        ctx.log(
          `not waiting for ${abandoned.length} node(s) still acquiring after an allocation failure of their request: ` +
            abandoned.map((n) => n.name).join(", "),
        );
      return { nodes, timedOut: false, abandoned };
    }
    if (elapsed >= timeoutSeconds * 1000) return { nodes, timedOut: true, abandoned };
    if (line !== lastLine || ctx.now() - lastLogAt >= 30_000) {
      ctx.log(`${line} (${Math.round(elapsed / 1000)}s)`);
      lastLine = line;
      lastLogAt = ctx.now();
    }
    await nextPoll(ctx, elapsed, timeoutSeconds);
  }
}

/** Most node ids sent in one terminate/deallocate/start request. */
const MANAGEMENT_BATCH_SIZE = 100;

/**
 * Terminates, deallocates or starts nodes by id, in batches. A per-node `Error` for a node that is
 * no longer listed counts as success (already gone); any other `Error` is raised, naming the nodes.
 */
export async function manageNodes(
  ctx: OperationContext,
  action: "terminate" | "deallocate" | "start",
  nodes: readonly NodeInfo[],
): Promise<void> {
  const { client, inputs } = ctx;
  const call = {
    terminate: client.terminateNodes.bind(client),
    deallocate: client.deallocateNodes.bind(client),
    start: client.startNodes.bind(client),
  }[action];
  const errors: string[] = [];
  for (let i = 0; i < nodes.length; i += MANAGEMENT_BATCH_SIZE) {
    const batch = nodes.slice(i, i + MANAGEMENT_BATCH_SIZE);
    const result = await call(inputs.cluster, { ids: batch.map((n) => n.id) });
    // `status` is optional in the reference ("Each node's status indicates if the request affects
    // it"; `error` is given "if the status is Error"): an absent status is not an error, unless an
    // error message comes without it.
    const failed = result.nodes.filter((n) =>
      n.status === undefined ? typeof n.error === "string" && n.error !== "" : n.status !== "OK",
    );
    if (failed.length === 0) continue;
    const listed = new Set((await ctx.rounds.currentRecords(batch)).map((n) => n.id));
    for (const node of failed) {
      if (!listed.has(node.id)) continue; // already gone
      errors.push(`${node.name} (${node.id}): ${node.error ?? node.status ?? "error"}`);
    }
  }
  if (errors.length > 0)
    throw new Error(
      `CycleCloud refused to ${action} ${errors.length} node(s) of cluster '${inputs.cluster}': ${errors.join("; ")}; ` +
        "resolve what each node's error names (in CycleCloud), then run the command again",
    );
}

/**
 * Waits until none of `nodes` is listed any more, or each has settled (`Status` equals its
 * `TargetState`, e.g. `Deallocated`; a terminated `Fixed` node's kept `Off` record counts as
 * terminated, and is logged). Returns the nodes still unsettled when the timeout passed.
 */
export async function waitUntilGone(
  ctx: OperationContext,
  nodes: readonly NodeInfo[],
  settledStatus: "Terminated" | "Deallocated",
  timeoutSeconds: number,
): Promise<NodeInfo[]> {
  const start = ctx.now();
  const ids = new Set(nodes.map((n) => n.id));
  for (let poll = 0; ; poll++) {
    if (ids.size === 0) return [];
    const listed = await ctx.rounds.currentRecords(nodes);
    // A node whose record CycleCloud kept (`Off`, `TargetState` `Terminated`: `Fixed: true`) is
    // terminated: its VM is gone. The record stays by the user's own `Fixed` (CycleCloud's "Nodes
    // with the Fixed attribute set to true aren't removed on termination"), so the set does not
    // `remove` it; waiting for it to go would never end.
    const remaining = listed.filter(
      (n) =>
        ids.has(n.id) && n.status !== settledStatus && n.status !== "Terminated" && n.recordKept !== true,
    );
    if (remaining.length === 0) {
      logKeptRecords(
        ctx,
        listed.filter((n) => ids.has(n.id)),
      );
      return [];
    }
    const elapsed = ctx.now() - start;
    if (elapsed >= timeoutSeconds * 1000) return remaining;
    if (poll % 5 === 1)
      ctx.log(
        `waiting for ${remaining.length} node(s) to ${settledStatus === "Terminated" ? "terminate" : "deallocate"} (${Math.round(elapsed / 1000)}s)`,
      );
    await nextPoll(ctx, elapsed, timeoutSeconds);
  }
}

/** Says which of `nodes` are terminated nodes whose records CycleCloud kept (`Fixed`), if any. */
export function logKeptRecords(ctx: OperationContext, nodes: readonly NodeInfo[]): void {
  const kept = nodes.filter((n) => n.recordKept === true);
  if (kept.length > 0)
    ctx.log(
      `${kept.length} terminated node record(s) kept (Off) because the nodes are Fixed; their VMs are gone: ` +
        kept.map((n) => n.name).join(", "),
    );
}

/**
 * Sleeps until an operation's next poll (see pollDelay in tuning.ts), `elapsedMs` into a wait of
 * at most `timeoutSeconds`: never past the timeout, and woken with the cluster's poll round.
 */
export function nextPoll(ctx: OperationContext, elapsedMs: number, timeoutSeconds: number): Promise<void> {
  return ctx.rounds.sleep(
    Math.min(pollDelay(elapsedMs, ctx.tuning), Math.max(0, timeoutSeconds * 1000 - elapsedMs)),
  );
}
