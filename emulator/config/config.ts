/**
 * Checking a config (the emulator's own error type), loading a `--config` file, and converting a
 * config into the node store's cluster definitions with every default filled in.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { formatIssues } from "../../wire/util/zod-issues";
import type { BucketDefinition, ClusterDefinition } from "../store/state";
import { DEFAULT_REGIONAL_QUOTA } from "../store/state";
import { EmulatorConfigSchema } from "./config-schema";
import type { BucketConfig, EmulatorConfig } from "./config-schema";
import { forbiddenKeyIssue } from "./limits";
import { reasonOf } from "../server/http-io";

/** Thrown for a config that does not match {@link EmulatorConfigSchema}; names every bad path. */
export class EmulatorConfigError extends Error {
  override readonly name = "EmulatorConfigError";
}

/** Validates a config without filling in defaults; `source` names it in error messages. */
export function checkEmulatorConfig(input: unknown, source = "emulator config"): EmulatorConfig {
  // zod drops a `__proto__` key silently: refuse it (and `constructor`, `prototype`) by name first.
  const forbidden = forbiddenKeyIssue(input);
  if (forbidden !== undefined) throw new EmulatorConfigError(`Invalid ${source}: ${forbidden}`);
  const parsed = EmulatorConfigSchema.safeParse(input);
  if (!parsed.success) throw new EmulatorConfigError(`Invalid ${source}: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

/** A UUID-shaped id that stays the same for the same cluster, nodearray and machine type. */
export function stableBucketId(cluster: string, nodearray: string, machineType: string): string {
  const hex = createHash("sha256").update(`${cluster}\0${nodearray}\0${machineType}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** A bucket of the config with every default filled in; `defaultId` is its id when it gives none. */
export function bucketDefinition(bucket: BucketConfig, defaultId: string): BucketDefinition {
  const valid = bucket.valid ?? true;
  const quotaCount = bucket.quotaCount ?? bucket.maxCount;
  const maxPlacementGroupSize = bucket.maxPlacementGroupSize ?? 100;
  return {
    bucketId: bucket.bucketId ?? defaultId,
    machineType: bucket.machineType,
    vcpuCount: bucket.vcpuCount,
    memory: bucket.memory,
    infiniband: bucket.infiniband ?? false,
    pcpuCount: bucket.pcpuCount ?? bucket.vcpuCount,
    gpuCount: bucket.gpuCount ?? 0,
    maxCount: bucket.maxCount,
    maxCoreCount: bucket.maxCoreCount ?? bucket.maxCount * bucket.vcpuCount,
    quotaCount,
    quotaCoreCount: bucket.quotaCoreCount ?? quotaCount * bucket.vcpuCount,
    consumedCoreCount: bucket.consumedCoreCount ?? 0,
    maxPlacementGroupSize,
    maxPlacementGroupCoreSize: bucket.maxPlacementGroupCoreSize ?? maxPlacementGroupSize * bucket.vcpuCount,
    family: bucket.family,
    valid,
    invalidReason: valid ? "" : (bucket.invalidReason ?? "NotActivated"),
  };
}

/**
 * Validates a config (the parsed JSON of a `--config` file, or an object) and fills in every
 * default. `source` names the config in error messages.
 */
export function parseEmulatorConfig(input: unknown, source = "emulator config"): ClusterDefinition[] {
  return checkEmulatorConfig(input, source).clusters.map((cluster) => {
    const state = cluster.state ?? "Started";
    return {
      name: cluster.name,
      state,
      targetState: cluster.targetState ?? state,
      maxCount: cluster.maxCount,
      maxCoreCount: cluster.maxCoreCount,
      quotas: {
        families: Object.fromEntries(
          Object.entries(cluster.quotas?.families ?? {}).map(([name, family]) => [
            name,
            { coreCount: family.coreCount, consumedCoreCount: family.consumedCoreCount ?? 0 },
          ]),
        ),
        regions: Object.fromEntries(
          Object.entries(cluster.quotas?.regions ?? {}).map(([name, region]) => [
            name,
            {
              coreCount: region.coreCount ?? DEFAULT_REGIONAL_QUOTA.coreCount,
              consumedCoreCount: region.consumedCoreCount ?? 0,
              spotCoreCount: region.spotCoreCount ?? DEFAULT_REGIONAL_QUOTA.spotCoreCount,
              spotConsumedCoreCount: region.spotConsumedCoreCount ?? 0,
            },
          ]),
        ),
      },
      standaloneNodes: (cluster.nodes ?? []).map((node) => ({
        ...node,
        region: node.region ?? "westus2",
        family: node.family,
        attributes: { Fixed: true, ...structuredClone(node.attributes ?? {}) },
      })),
      nodearrays: cluster.nodearrays.map((nodearray) => ({
        ...nodearray,
        region: nodearray.region ?? "westus2",
        spot: nodearray.attributes?.Interruptible === true,
        attributes: structuredClone(nodearray.attributes ?? {}),
        buckets: nodearray.buckets.map((bucket) =>
          bucketDefinition(bucket, stableBucketId(cluster.name, nodearray.name, bucket.machineType)),
        ),
      })),
    };
  });
}

/**
 * Reads a JSON config file and checks it (errors name the file and the bad path); the result is
 * ready for `startEmulator({ config })`.
 */
export async function loadEmulatorConfigFile(file: string): Promise<EmulatorConfig> {
  const text = await readFile(file, "utf8").catch((error: unknown) => {
    throw new EmulatorConfigError(`Cannot read emulator config ${file}: ${reasonOf(error)}`);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new EmulatorConfigError(`Emulator config ${file} is not valid JSON: ${reasonOf(error)}`);
  }
  return checkEmulatorConfig(json, `emulator config ${file}`);
}
