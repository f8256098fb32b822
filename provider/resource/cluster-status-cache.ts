/**
 * The cluster statuses and bucket ids a provider process has read: one status read per cluster is
 * shared by the checks of one run (for STATUS_CACHE_MS), dropped as soon as this process changes
 * the cluster's nodes; bucket ids are stable for a cluster's life, so never dropped.
 */
import { findBucket } from "../capacity";
import type { CycleCloudClient } from "../client";
import type { ClusterStatus } from "../schemas";
import { forgetPlannedIncreases } from "./node-set-preflight";

const statusCache = new Map<string, { at: number; status: Promise<ClusterStatus> }>();
/** Bucket ids by `[url, cluster, nodearray, machineType]`. */
const bucketIds = new Map<string, string>();

/** How long a cluster status read for preflight is reused inside one provider process. */
export const STATUS_CACHE_MS = 10_000;

/** The cluster status, read at most once per cluster every STATUS_CACHE_MS in this process. */
export function cachedClusterStatus(
  client: CycleCloudClient,
  url: string,
  cluster: string,
): Promise<ClusterStatus> {
  const key = statusCacheKey(url, cluster);
  const hit = statusCache.get(key);
  if (hit && Date.now() - hit.at < STATUS_CACHE_MS) return hit.status;
  forgetClusterStatus(url, cluster);
  const status = client.getClusterStatus(cluster);
  statusCache.set(key, { at: Date.now(), status });
  status.then(
    (read) => rememberBucketIds(url, cluster, read),
    () => statusCache.delete(key),
  );
  return status;
}

function rememberBucketIds(url: string, cluster: string, status: ClusterStatus): void {
  for (const nodearray of status.nodearrays) {
    const first = findBucket(status, { nodearray: nodearray.name });
    if (first) rememberBucketId({ url, cluster, nodearray: nodearray.name }, first.bucketId);
    for (const bucket of nodearray.buckets) {
      const machineType = bucket.definition.machineType;
      rememberBucketId({ url, cluster, nodearray: nodearray.name, machineType }, bucket.bucketId);
    }
  }
}

/** Where a bucket is: without a machine type, the nodearray's first bucket. */
export interface BucketPlace {
  url: string;
  cluster: string;
  nodearray: string;
  machineType?: string | undefined;
}

function bucketKey(place: BucketPlace): string {
  return JSON.stringify([place.url, place.cluster, place.nodearray, place.machineType ?? null]);
}

export function knownBucketId(place: BucketPlace): string | undefined {
  return bucketIds.get(bucketKey(place));
}

export function rememberBucketId(place: BucketPlace, bucketId: string): void {
  bucketIds.set(bucketKey(place), bucketId);
}

export function statusCacheKey(url: string, cluster: string): string {
  return `${url} ${cluster}`;
}

/** Drops the cached status of a cluster (after this process changed its nodes) and its plan. */
export function forgetClusterStatus(url: string, cluster: string): void {
  const key = statusCacheKey(url, cluster);
  statusCache.delete(key);
  forgetPlannedIncreases(key);
}

/** Forgets every status and bucket id (tests: a fresh provider process). */
export function resetClusterStatusCache(): void {
  statusCache.clear();
  bucketIds.clear();
}
