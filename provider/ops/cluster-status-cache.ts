/**
 * The cluster statuses and bucket ids a provider context has read: one status read per cluster is
 * shared by the calls of one run (a provider process serves one `pulumi` command), kept until the
 * cache drops it because this process changed the cluster in a way the run's plan does not
 * picture (see {@link ClusterStatusCache.changedBy}); bucket ids are stable for a cluster's life,
 * so never dropped.
 */
import type { NodeSpec } from "../capacity/index";
import { bucketMachineType, findBucket, withAddedNodes } from "../capacity/index";
import type { ClusterStatus } from "../../wire/schemas";
import type { RunPlan } from "../core/run-plan";
import type { NodeSetClient, OperationContext } from "./node-set-listing";

/** Where a bucket is: without a machine type, the nodearray's first bucket. */
interface BucketPlace {
  url: string;
  cluster: string;
  nodearray: string;
  machineType?: string | undefined;
}

export function statusCacheKey(url: string, cluster: string): string {
  return `${url} ${cluster}`;
}

function bucketKey(place: BucketPlace): string {
  return JSON.stringify([place.url, place.cluster, place.nodearray, place.machineType ?? null]);
}

export class ClusterStatusCache {
  private readonly statuses = new Map<string, Promise<ClusterStatus>>();
  /** Bucket ids by `[url, cluster, nodearray, machineType]`. */
  private readonly bucketIds = new Map<string, string>();

  /** `plan`: the run's plan; the increases planned against a status go when it is dropped. */
  constructor(private readonly plan: RunPlan) {}

  /** The cluster status, read once per cluster until {@link forget} drops it. */
  status(
    client: Pick<NodeSetClient, "getClusterStatus">,
    url: string,
    cluster: string,
  ): Promise<ClusterStatus> {
    const key = statusCacheKey(url, cluster);
    const hit = this.statuses.get(key);
    if (hit) return hit;
    const status = client.getClusterStatus(cluster);
    this.statuses.set(key, status);
    status.then(
      (read) => this.rememberBucketIds(url, cluster, read),
      () => {
        // A failed read is not kept: the next call reads again.
        if (this.statuses.get(key) === status) this.statuses.delete(key);
      },
    );
    return status;
  }

  /**
   * Charges `nodes` nodes of `spec` to a cached status, as preflight charges a planned increase:
   * the status then pictures the cluster after a create this process made (nothing when none is
   * cached).
   */
  charge(url: string, cluster: string, spec: NodeSpec, nodes: number): void {
    const key = statusCacheKey(url, cluster);
    const cached = this.statuses.get(key);
    if (cached)
      this.statuses.set(
        key,
        cached.then((status) => withAddedNodes(status, spec, nodes)),
      );
  }

  /** Drops the cached status of a cluster (after this process changed its nodes) and its plan. */
  forget(url: string, cluster: string): void {
    const key = statusCacheKey(url, cluster);
    this.statuses.delete(key);
    this.plan.forgetIncreases(key);
  }

  /**
   * After an operation on a set that may have changed its nodes: the cached status of
   * its cluster stays when the operation changed nothing, or added exactly the nodes preflight
   * planned for the set against that status and did nothing else (those nodes are then charged to
   * the status, which pictures the cluster as this run made it, as preflight charges a plan);
   * otherwise it is dropped with the plan made against it, and the next decision that depends on it
   * reads it again.
   */
  changedBy({
    inputs,
    claiming: where,
    changes,
  }: Pick<OperationContext, "inputs" | "claiming" | "changes">): void {
    const { identity } = inputs;
    if (changes.added === 0 && changes.other === 0) return;
    const planned = this.plan.plannedIncreases.get(identity);
    if (
      planned !== undefined &&
      changes.other === 0 &&
      planned.cacheKey === statusCacheKey(where.url, where.cluster) &&
      planned.nodes === changes.added
    ) {
      // Done as planned: the status now holds the set's new nodes, no longer a plan of its own.
      this.charge(where.url, where.cluster, planned.spec, planned.nodes);
      this.plan.plannedIncreases.delete(identity);
    } else {
      this.forget(where.url, where.cluster);
    }
  }

  knownBucketId(place: BucketPlace): string | undefined {
    return this.bucketIds.get(bucketKey(place));
  }

  rememberBucketId(place: BucketPlace, bucketId: string): void {
    this.bucketIds.set(bucketKey(place), bucketId);
  }

  private rememberBucketIds(url: string, cluster: string, status: ClusterStatus): void {
    for (const nodearray of status.nodearrays) {
      const first = findBucket(status, { nodearray: nodearray.name });
      if (first) this.rememberBucketId({ url, cluster, nodearray: nodearray.name }, first.bucketId);
      for (const bucket of nodearray.buckets) {
        // A bucket without a known size cannot be found by machine type (see bucketMachineType).
        const machineType = bucketMachineType(nodearray, bucket);
        if (machineType === undefined) continue;
        this.rememberBucketId({ url, cluster, nodearray: nodearray.name, machineType }, bucket.bucketId);
      }
    }
  }
}
