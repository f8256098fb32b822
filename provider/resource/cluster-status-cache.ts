/**
 * The cluster statuses and bucket ids a provider context has read: one status read per cluster is
 * shared by the checks of one run (for STATUS_CACHE_MS), dropped as soon as this process changes
 * the cluster's nodes; bucket ids are stable for a cluster's life, so never dropped.
 */
import { bucketMachineType, findBucket } from "../capacity";
import type { CycleCloudClient } from "../client";
import type { ClusterStatus } from "../schemas";

/** How long a cluster status read for preflight is reused inside one provider process. */
export const STATUS_CACHE_MS = 10_000;

/** Where a bucket is: without a machine type, the nodearray's first bucket. */
export interface BucketPlace {
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
  private readonly statuses = new Map<string, { at: number; status: Promise<ClusterStatus> }>();
  /** Bucket ids by `[url, cluster, nodearray, machineType]`. */
  private readonly bucketIds = new Map<string, string>();

  /**
   * `now`: the clock; `onForget`: told the cache key of each status dropped (the plan made
   * against it goes with it).
   */
  constructor(
    private readonly now: () => number,
    private readonly onForget: (cacheKey: string) => void,
  ) {}

  /** The cluster status, read at most once per cluster every STATUS_CACHE_MS. */
  status(
    client: Pick<CycleCloudClient, "getClusterStatus">,
    url: string,
    cluster: string,
  ): Promise<ClusterStatus> {
    const key = statusCacheKey(url, cluster);
    const hit = this.statuses.get(key);
    if (hit && this.now() - hit.at < STATUS_CACHE_MS) return hit.status;
    this.forget(url, cluster);
    const status = client.getClusterStatus(cluster);
    this.statuses.set(key, { at: this.now(), status });
    status.then(
      (read) => this.rememberBucketIds(url, cluster, read),
      () => this.statuses.delete(key),
    );
    return status;
  }

  /** Drops the cached status of a cluster (after this process changed its nodes) and its plan. */
  forget(url: string, cluster: string): void {
    const key = statusCacheKey(url, cluster);
    this.statuses.delete(key);
    this.onForget(key);
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
