/**
 * A replica of a real cluster: the emulator's cluster definition rebuilt from a saved answer of
 * `GET /clusters/{cluster}/status?nodes=true`. Nodearrays, buckets, their limits and quotas, and
 * the nodes the answer lists (as nodes made outside Pulumi, so capacity matches) are taken over;
 * the baselines (quota used outside the cluster, head nodes) are what the answer's numbers leave
 * once those nodes are counted.
 */
import { readFile } from "node:fs/promises";
import { bucketMachineType } from "../../wire/bucket-lookup";
import type { ClusterStatus, NodearrayStatus } from "../../wire/schemas";
import { ClusterStatusSchema } from "../../wire/schemas";
import { formatIssues } from "../../wire/util/zod-issues";
import type { ClusterDefinition, InitialNodeDefinition } from "../store/state";
import { EmulatorConfigError, parseEmulatorConfig } from "./config";
import { reasonOf } from "../server/http-io";
import type { EmulatorConfig } from "./config-schema";
import { observePhase, phaseSeenAs } from "../store/node-lifecycle";
import { isRecord, withoutManagedKeys } from "../store/wire-records";
import { emptyMap, forbiddenKeyIssue, forbiddenKeyMessage, isForbiddenKey } from "./limits";

/** Status values of a listed node, to the phase the replica holds it in (anything else: running). */
const STATUS_OF: Readonly<Record<string, InitialNodeDefinition["status"]>> = {
  Failed: "Failed",
  Deallocated: "Deallocated",
  Stopping: "Deallocated",
  Off: "Off",
  Terminating: "Terminating",
};

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** A replica's cluster: the config it is made of and the nodes it starts with. */
export interface ReplicaCluster {
  readonly config: EmulatorConfig["clusters"][number];
  readonly nodes: readonly InitialNodeDefinition[];
}

/**
 * The cluster `name` rebuilt from `answer`, the parsed JSON of a status answer with nodes;
 * `source` names it in errors, which name the JSON path of what cannot be used.
 */
export function replicaFromStatus(name: string, answer: unknown, source: string): ReplicaCluster {
  const fail = (path: string, message: string): never => {
    throw new EmulatorConfigError(`Invalid status snapshot ${source}: ${path}: ${message}`);
  };
  const parsed = ClusterStatusSchema.safeParse(answer);
  if (!parsed.success) {
    throw new EmulatorConfigError(`Invalid status snapshot ${source}: ${formatIssues(parsed.error)}`);
  }
  // Keys and names that would reach Object.prototype are refused before anything is built from them.
  const forbidden = forbiddenKeyIssue(answer);
  if (forbidden !== undefined)
    throw new EmulatorConfigError(`Invalid status snapshot ${source}: ${forbidden}`);
  const status: ClusterStatus = parsed.data;
  status.nodearrays.forEach((nodearray, n) => {
    const region = nodearray.nodearray?.["Region"];
    if (typeof region === "string" && isForbiddenKey(region)) {
      fail(`nodearrays[${n}].nodearray.Region`, forbiddenKeyMessage(region));
    }
    if (isForbiddenKey(nodearray.name)) fail(`nodearrays[${n}].name`, forbiddenKeyMessage(nodearray.name));
  });
  const nodes = readNodes(status, isRecord(answer) ? answer["nodes"] : undefined, fail);

  // Per region, of regular and of spot VMs: the quota and use the answer shows, the listed nodes' cores.
  type RegionUse = { quota?: number; consumed: number; held: number };
  const regions = emptyMap<{ regular: RegionUse; spot: RegionUse }>();
  let clusterHeld = 0;
  let clusterHeldCores = 0;
  const nodearrays = status.nodearrays.map((nodearray, n) => {
    const record = nodearray.nodearray ?? {};
    const region = text(record["Region"]) ?? "westus2";
    const spot = record["Interruptible"] === true;
    const { Name: _name, Region: _region, ...attributes } = record;
    const buckets = nodearray.buckets.map((bucket, b) => {
      const path = `nodearrays[${n}].buckets[${b}]`;
      const noType = "the bucket names no machine type (nor does the nodearray's MachineType)";
      const machineType =
        bucketMachineType(nodearray, bucket) ?? fail(`${path}.definition.machineType`, noType);
      const vcpu = bucket.virtualMachine.vcpuCount;
      if (vcpu < 1) fail(`${path}.virtualMachine.vcpuCount`, `must be at least 1, not ${vcpu}`);
      if (!(bucket.virtualMachine.memory > 0))
        fail(`${path}.virtualMachine.memory`, `must be positive, not ${bucket.virtualMachine.memory}`);
      const held = nodes.filter(
        (node) => node.nodearray === nodearray.name && node.machineType === machineType,
      );
      const seen = held.map((node) =>
        observePhase(phaseSeenAs(node.status, { now: 1, terminatingMs: 1 }), 1),
      );
      const reducing = seen.filter((observed) => observed.reducesAvailability).length;
      clusterHeld += reducing;
      clusterHeldCores += reducing * vcpu;
      // Cores the bucket's nodes hold of the quota (every node but an `Off` one, as CycleCloud counts).
      const quotaCores = held.filter((node) => node.status !== "Off").length * vcpu;
      regions[region] ??= { regular: { consumed: 0, held: 0 }, spot: { consumed: 0, held: 0 } };
      const use = regions[region][spot ? "spot" : "regular"];
      use.held += quotaCores;
      if (bucket.regionalQuotaCoreCount !== undefined && use.quota === undefined) {
        use.quota = bucket.regionalQuotaCoreCount;
        use.consumed = bucket.regionalConsumedCoreCount ?? 0;
      }
      const own = spot
        ? {}
        : {
            quotaCount: nonNegative(bucket.familyQuotaCount ?? bucket.quotaCount ?? bucket.maxCount),
            quotaCoreCount: nonNegative(
              bucket.familyQuotaCoreCount ?? bucket.quotaCoreCount ?? bucket.maxCount * vcpu,
            ),
            consumedCoreCount: nonNegative(
              (bucket.familyConsumedCoreCount ?? bucket.consumedCoreCount ?? quotaCores) - quotaCores,
            ),
          };
      return {
        machineType,
        bucketId: bucket.bucketId,
        vcpuCount: vcpu,
        memory: bucket.virtualMachine.memory,
        infiniband: bucket.virtualMachine.infiniband,
        pcpuCount: (bucket.virtualMachine.pcpuCount ?? 0) > 0 ? bucket.virtualMachine.pcpuCount : undefined,
        gpuCount: orUndefined(bucket.virtualMachine.gpuCount),
        maxCount: nonNegative(bucket.maxCount),
        maxCoreCount: nonNegative(bucket.maxCoreCount),
        ...own,
        maxPlacementGroupSize: nonNegative(bucket.maxPlacementGroupSize),
        maxPlacementGroupCoreSize: orUndefined(bucket.maxPlacementGroupCoreSize),
        valid: bucket.valid,
        ...(bucket.valid ? {} : { invalidReason: text(bucket.invalidReason) ?? "NotActivated" }),
      };
    });
    return {
      name: nodearray.name,
      maxCount: nonNegative(nodearray.maxCount),
      maxCoreCount: nonNegative(nodearray.maxCoreCount),
      region,
      attributes,
      buckets,
    };
  });
  // The regional baselines: what the answer says is consumed, less the listed nodes' cores.
  const quotaRegions = Object.fromEntries(
    Object.entries(regions)
      .filter(([, { regular, spot }]) => regular.quota !== undefined || spot.quota !== undefined)
      .map(([region, { regular, spot }]) => [
        region,
        {
          coreCount: orUndefined(regular.quota),
          consumedCoreCount:
            regular.quota === undefined ? undefined : nonNegative(regular.consumed - regular.held),
          spotCoreCount: orUndefined(spot.quota),
          spotConsumedCoreCount:
            spot.quota === undefined ? undefined : nonNegative(spot.consumed - spot.held),
        },
      ]),
  );
  return {
    config: {
      name,
      state: status.state,
      targetState: status.targetState,
      // The answer's maxCount is what may still be added; the emulator's is a total.
      maxCount: nonNegative(status.maxCount) + clusterHeld,
      maxCoreCount: nonNegative(status.maxCoreCount) + clusterHeldCores,
      ...(Object.keys(quotaRegions).length > 0 ? { quotas: { regions: quotaRegions } } : {}),
      nodearrays,
    },
    nodes,
  };
}

function nonNegative(value: number): number {
  return Math.max(0, Math.trunc(value));
}

function orUndefined(value: number | undefined): number | undefined {
  return value === undefined ? undefined : nonNegative(value);
}

/**
 * The answer's nodes as the replica's initial nodes. Without `nodes` (an answer without
 * `nodes=true`), each bucket's `activeCount` nodes are made up, named after their nodearray.
 */
function readNodes(
  status: ClusterStatus,
  raw: unknown,
  fail: (path: string, message: string) => never,
): InitialNodeDefinition[] {
  if (raw === undefined) return madeUpNodes(status);
  if (!Array.isArray(raw)) return fail("nodes", "must be an array of node records");
  const names = new Set<string>();
  return raw.map((record: unknown, i): InitialNodeDefinition => {
    const path = `nodes[${i}]`;
    if (!isRecord(record)) return fail(path, "must be a node record (an object)");
    const name = text(record["Name"]) ?? fail(`${path}.Name`, "a node needs a name");
    if (names.has(name)) fail(`${path}.Name`, `duplicate node name "${name}"`);
    names.add(name);
    const template =
      text(record["Template"]) ?? fail(`${path}.Template`, "a node needs the nodearray it belongs to");
    const nodearray =
      status.nodearrays.find((n) => n.name === template) ??
      fail(`${path}.Template`, `nodearray "${template}" is not in the answer's nodearrays`);
    const machineType = nodeMachineType(nodearray, text(record["MachineType"]), `${path}.MachineType`, fail);
    const attributes = withoutManagedKeys(record);
    return {
      name,
      nodearray: template,
      machineType,
      placementGroupId: text(record["PlacementGroupId"]),
      attributes,
      status: STATUS_OF[String(record["Status"])] ?? "Ready",
      statusMessage: text(record["StatusMessage"]),
      requestId: text(record["RequestId"]),
      id: text(record["NodeId"]),
      privateIp: text(record["PrivateIp"]),
      hostname: text(record["Hostname"]),
      instanceId: text(record["InstanceId"]),
    };
  });
}

function nodeMachineType(
  nodearray: NodearrayStatus,
  machineType: string | undefined,
  path: string,
  fail: (path: string, message: string) => never,
): string {
  const types = nodearray.buckets.map((b) => bucketMachineType(nodearray, b));
  if (machineType !== undefined) {
    if (!types.includes(machineType))
      fail(path, `machine type "${machineType}" is no bucket of nodearray "${nodearray.name}"`);
    return machineType;
  }
  return (
    (types.length === 1 ? types[0] : undefined) ??
    fail(path, `nodearray "${nodearray.name}" has several buckets: the node must name its MachineType`)
  );
}

function madeUpNodes(status: ClusterStatus): InitialNodeDefinition[] {
  const nodes: InitialNodeDefinition[] = [];
  for (const nodearray of status.nodearrays) {
    for (const bucket of nodearray.buckets) {
      const machineType = bucketMachineType(nodearray, bucket);
      if (machineType === undefined) continue;
      const groups = bucket.placementGroups.flatMap((g) =>
        Array<string>(Math.max(0, g.activeCount)).fill(g.name),
      );
      for (let i = 0; i < bucket.activeCount; i += 1) {
        const name = `${nodearray.name}-replica-${nodes.length + 1}`;
        const node = { name, nodearray: nodearray.name, machineType, placementGroupId: groups[i] };
        nodes.push({ ...node, attributes: {}, status: "Ready" });
      }
    }
  }
  return nodes;
}

/** `CLUSTER=FILE` pairs (or a map of them) to cluster definitions, reading each file. */
export async function loadReplicas(
  fromStatus: Readonly<Record<string, string>>,
): Promise<ClusterDefinition[]> {
  const clusters: ClusterDefinition[] = [];
  for (const [name, file] of Object.entries(fromStatus)) {
    let answer: unknown;
    try {
      answer = JSON.parse(await readFile(file, "utf8"));
    } catch (error) {
      throw new EmulatorConfigError(
        `Cannot read status snapshot ${file} of cluster ${name}: ${reasonOf(error)}`,
      );
    }
    const replica = replicaFromStatus(name, answer, file);
    const [definition] = parseEmulatorConfig({ clusters: [replica.config] }, `replica of ${file}`);
    if (definition !== undefined) clusters.push({ ...definition, initialNodes: replica.nodes });
  }
  return clusters;
}
