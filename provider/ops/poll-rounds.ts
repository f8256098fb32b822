/**
 * Shared poll rounds: the sets of one provider process that wait on the same cluster poll it
 * together. A waiter sleeps with {@link PollRounds.sleep} (which lines it up with the next round
 * due about then) and asks for its nodes with {@link PollRounds.requestNodes} or
 * {@link PollRounds.currentRecords}; the asks of one round are answered by as few listings as
 * possible: one unfiltered listing of the cluster when that saves calls, else one listing per
 * create request (two waiters on one request share it). Each waiter gets only its own nodes: those
 * its request lists, or those with the ids it already holds; an unfiltered listing never adds a
 * node a waiter did not hold. A listing that fails fails every ask it answers, as it would have
 * failed each waiter's own listing. No Pulumi here.
 */
import type { NodeList } from "../../wire/schemas";
import { recordText } from "../../wire/schemas";
import type { NodeSetClient } from "./node-set-listing";
import { listRequestNodes, recordsWithIds } from "./node-set-listing";
import type { NodeInfo } from "../core/node-set-state";
import { toNodeInfo } from "../core/node-set-state";

/**
 * How much earlier than asked a waiter's sleep may end to join a round already due (a fraction of
 * its delay): it then polls a little sooner than it would have alone, never later.
 */
const ROUND_FLEX = 0.5;

type Ask =
  | {
      kind: "request";
      requestId: string;
      /** Every node the request holds (listed by request id since it was made), if known. */
      known: readonly NodeInfo[] | undefined;
      resolve: (nodes: NodeInfo[] | undefined) => void;
      reject: (error: unknown) => void;
    }
  | {
      kind: "ids";
      nodes: readonly NodeInfo[];
      resolve: (nodes: NodeInfo[]) => void;
      reject: (error: unknown) => void;
    };

/** What the asks of one round need: the listings by request id, and whether an unfiltered one. */
interface RoundPlan {
  byRequest: string[];
  whole: boolean;
}

/**
 * The cheaper way to answer a round's asks, in calls: per request (one listing per distinct
 * request id, plus one unfiltered listing for nodes of no known request), or one unfiltered
 * listing (plus a listing per request whose nodes are not all known, as those can only be found
 * by request id). Ties go to the listings by request id, which are smaller answers.
 */
export function planRound(
  asks: readonly (
    | { kind: "request"; requestId: string; complete: boolean }
    | { kind: "ids"; requestIds: readonly (string | undefined)[] }
  )[],
): RoundPlan {
  const all = new Set<string>();
  const incomplete = new Set<string>();
  let anyWithoutRequest = false;
  for (const ask of asks) {
    if (ask.kind === "request") {
      all.add(ask.requestId);
      if (!ask.complete) incomplete.add(ask.requestId);
    } else {
      for (const requestId of ask.requestIds) {
        if (requestId === undefined) anyWithoutRequest = true;
        else all.add(requestId);
      }
    }
  }
  const perRequest = all.size + (anyWithoutRequest ? 1 : 0);
  const wholeCalls = 1 + incomplete.size;
  if (wholeCalls < perRequest) return { byRequest: [...incomplete], whole: true };
  return { byRequest: [...all], whole: anyWithoutRequest };
}

/** The poll rounds of one cluster (one client) in one provider process. */
export class PollRounds {
  /** Asks waiting for the round being gathered (sent on the next turn of the event loop). */
  private gathering: Ask[] | undefined;
  /** Wake-up times of planned rounds, with the sleepers to wake then. */
  private readonly planned = new Map<number, (() => void)[]>();
  /** Rounds run and listings they sent, in all (for tests). */
  readonly stats = { rounds: 0, listings: 0 };

  constructor(
    private readonly client: NodeSetClient,
    private readonly cluster: string,
    /** The clock rounds are planned on: the timers' own. */
    private readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * Sleeps about `ms`: until a round already planned within the last {@link ROUND_FLEX} of it, or
   * else until a new round `ms` from now that later sleepers may join.
   */
  sleep(ms: number): Promise<void> {
    const latest = this.now() + ms;
    const earliest = latest - ms * ROUND_FLEX;
    let at = latest;
    for (const planned of this.planned.keys()) if (planned >= earliest && planned <= at) at = planned;
    return new Promise((resolve) => {
      const sleepers = this.planned.get(at);
      if (sleepers) {
        sleepers.push(resolve);
        return;
      }
      this.planned.set(at, [resolve]);
      setTimeout(
        () => {
          const wake = this.planned.get(at) ?? [];
          this.planned.delete(at);
          for (const sleeper of wake) sleeper();
        },
        Math.max(0, at - this.now()),
      );
    });
  }

  /**
   * The nodes of create request `requestId` now; undefined when the server knows no such request.
   * `known`: every node the request holds, when the waiter listed the request since it was made
   * (a request's nodes never grow): the round may then read them from an unfiltered listing.
   */
  requestNodes(requestId: string, known?: readonly NodeInfo[]): Promise<NodeInfo[] | undefined> {
    return new Promise((resolve, reject) => this.ask({ kind: "request", requestId, known, resolve, reject }));
  }

  /** The current records of `nodes` (those no longer listed are gone). */
  currentRecords(nodes: readonly NodeInfo[]): Promise<NodeInfo[]> {
    return new Promise((resolve, reject) => this.ask({ kind: "ids", nodes, resolve, reject }));
  }

  private ask(ask: Ask): void {
    if (this.gathering) {
      this.gathering.push(ask);
      return;
    }
    const asks = [ask];
    this.gathering = asks;
    // Everything asked in this turn of the event loop (sleepers woken together) joins the round.
    setImmediate(() => {
      this.gathering = undefined;
      void this.run(asks);
    });
  }

  private async run(asks: readonly Ask[]): Promise<void> {
    const plan = planRound(
      asks.map((ask) =>
        ask.kind === "request"
          ? { kind: "request", requestId: ask.requestId, complete: ask.known !== undefined }
          : { kind: "ids", requestIds: ask.nodes.map((n) => n.requestId) },
      ),
    );
    this.stats.rounds++;
    const byRequest = new Map<string, Promise<NodeInfo[] | undefined>>();
    const listRequest = (requestId: string) => {
      let listing = byRequest.get(requestId);
      if (!listing) {
        this.stats.listings++;
        listing = listRequestNodes(this.client, this.cluster, requestId);
        byRequest.set(requestId, listing);
      }
      return listing;
    };
    let wholeListing: Promise<NodeList> | undefined;
    const listWhole = () => {
      if (!wholeListing) {
        this.stats.listings++;
        wholeListing = this.client.listNodes(this.cluster);
      }
      return wholeListing;
    };
    for (const requestId of plan.byRequest) void listRequest(requestId).catch(() => undefined);
    if (plan.whole) void listWhole().catch(() => undefined);
    await Promise.all(
      asks.map(async (ask) => {
        try {
          if (ask.kind === "request")
            ask.resolve(await this.answerRequest(ask, plan, listRequest, listWhole));
          else ask.resolve(await this.answerIds(ask, plan, listRequest, listWhole));
        } catch (error) {
          ask.reject(error);
        }
      }),
    );
  }

  private async answerRequest(
    ask: Extract<Ask, { kind: "request" }>,
    plan: RoundPlan,
    listRequest: (requestId: string) => Promise<NodeInfo[] | undefined>,
    listWhole: () => Promise<NodeList>,
  ): Promise<NodeInfo[] | undefined> {
    const { known } = ask;
    if (!plan.whole || known === undefined || plan.byRequest.includes(ask.requestId))
      return listRequest(ask.requestId);
    const all = await listWhole();
    const ids = new Set(known.map((n) => n.id));
    const records = recordsWithIds(all, ids, this.cluster);
    // A node of the request not in the listing (removed, or a record this library cannot read
    // and cannot tell whose it is): only the request's own listing says which.
    if (records.length < ids.size || hasUnidentifiedRecords(all)) return listRequest(ask.requestId);
    const before = new Map(known.map((n) => [n.id, n]));
    return records.map((record) => withOrigin(toNodeInfo(record), before.get(record.NodeId), ask.requestId));
  }

  private async answerIds(
    ask: Extract<Ask, { kind: "ids" }>,
    plan: RoundPlan,
    listRequest: (requestId: string) => Promise<NodeInfo[] | undefined>,
    listWhole: () => Promise<NodeList>,
  ): Promise<NodeInfo[]> {
    const ids = new Set(ask.nodes.map((n) => n.id));
    const before = new Map(ask.nodes.map((n) => [n.id, n]));
    const requestIds = [...new Set(ask.nodes.map((n) => n.requestId))];
    const fromWhole = async () => {
      const all = await listWhole();
      return recordsWithIds(all, ids, this.cluster).map((record) =>
        withOrigin(toNodeInfo(record), before.get(record.NodeId), undefined),
      );
    };
    // Nodes of no known request (adopted by id) can only be found in an unfiltered listing.
    if (requestIds.includes(undefined)) return fromWhole();
    if (plan.whole) {
      const all = await listWhole();
      if (!hasUnidentifiedRecords(all)) return fromWhole();
    }
    const listed: NodeInfo[] = [];
    for (const requestId of requestIds) {
      if (requestId === undefined) continue;
      const found = (await listRequest(requestId)) ?? [];
      listed.push(...found.filter((n) => ids.has(n.id)));
    }
    return listed;
  }
}

/**
 * Whether an unfiltered listing holds records without a readable `NodeId`: one could be a node a
 * waiter holds, so those waiters are answered from their requests' own listings (which fail on
 * such a record, as they always did).
 */
function hasUnidentifiedRecords(list: NodeList): boolean {
  return (list.unparsedNodes ?? []).some((record) => recordText(record, "NodeId") === undefined);
}

/**
 * A node read from an unfiltered listing, with the request it came from as the waiter knew it (its
 * own request listing would have said the same), else as the record says.
 */
function withOrigin(node: NodeInfo, before: NodeInfo | undefined, requestId: string | undefined): NodeInfo {
  const out: NodeInfo = { ...node };
  const origin = requestId ?? before?.requestId;
  if (origin !== undefined) out.requestId = origin;
  if (before?.requestedAt !== undefined) out.requestedAt = before.requestedAt;
  return out;
}
