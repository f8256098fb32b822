/**
 * The nodes a cluster holds before any API call: its head nodes and a replica's nodearray nodes,
 * and the addresses every node is given.
 */
import { randomUUID } from "node:crypto";
import { bucketDefinition } from "../config/config";
import { phaseSeenAs } from "./node-lifecycle";
import type { BucketState, ClusterState, NodeState } from "./state";

/** The operation id head nodes carry: they were made when the cluster started, by no API call. */
export const STANDALONE_OPERATION_ID = "00000000-0000-0000-0000-000000000000";

/** The `index`th VM of subnet 10.`subnet` (addresses from .4 on): its address, host name and instance id. */
export function vmIdentity(
  subnet: number,
  index: number,
): Pick<NodeState, "privateIp" | "hostname" | "instanceId"> {
  const octets = [10, subnet, Math.floor(index / 250), 4 + (index % 250)];
  const hex = octets.map((octet) => octet.toString(16).toUpperCase().padStart(2, "0"));
  return {
    privateIp: octets.join("."),
    hostname: `ip-${hex.join("")}`,
    instanceId: randomUUID().replaceAll("-", ""),
  };
}

/** The clusters' initial nodearray nodes (a replica's), in the phases their definitions say, from 10.1.0.4 on. */
export function initialNodes(
  clusters: readonly ClusterState[],
  now: number,
  terminatingMs: number,
): NodeState[] {
  return clusters
    .flatMap((cluster) => (cluster.initialNodes ?? []).map((definition) => ({ cluster, definition })))
    .map(({ cluster, definition }, index): NodeState => {
      const nodearray = cluster.nodearrays.find((n) => n.name === definition.nodearray);
      const bucket = nodearray?.buckets.find((b) => b.machineType === definition.machineType);
      if (nodearray === undefined || bucket === undefined) {
        throw new Error(
          `initial node ${definition.name}: no bucket ${definition.machineType} in nodearray ${definition.nodearray}`,
        );
      }
      const vm = vmIdentity(1, index);
      return {
        id: definition.id ?? randomUUID(),
        name: definition.name,
        standalone: false,
        cluster,
        nodearray,
        bucket,
        placementGroupId: definition.placementGroupId,
        requestId: definition.requestId,
        operationId: STANDALONE_OPERATION_ID,
        attributes: structuredClone(definition.attributes),
        privateIp: definition.privateIp ?? vm.privateIp,
        hostname: definition.hostname ?? vm.hostname,
        instanceId: definition.instanceId ?? vm.instanceId,
        phase: phaseSeenAs(definition.status, { now, terminatingMs, message: definition.statusMessage }),
      };
    });
}

/** The clusters' head nodes, `Started` since the epoch, addressed from 10.0.0.4 on. */
export function standaloneNodes(clusters: readonly ClusterState[]): NodeState[] {
  return clusters
    .flatMap((cluster) => cluster.standaloneNodes.map((definition) => ({ cluster, definition })))
    .map(({ cluster, definition }, index): NodeState => {
      const { machineType, vcpuCount, memory, family } = definition;
      const bucket: BucketState = {
        ...bucketDefinition(
          { machineType, vcpuCount, memory, family, maxCount: 1, quotaCount: 1, maxPlacementGroupSize: 1 },
          STANDALONE_OPERATION_ID,
        ),
        lastCapacityFailureAt: undefined,
      };
      return {
        id: randomUUID(),
        name: definition.name,
        standalone: true,
        cluster,
        // The node's own template, which is not one of the cluster's nodearrays.
        nodearray: {
          name: definition.name,
          maxCount: 1,
          maxCoreCount: definition.vcpuCount,
          region: definition.region,
          spot: false,
          attributes: {},
          buckets: [bucket],
        },
        bucket,
        placementGroupId: undefined,
        requestId: undefined,
        operationId: STANDALONE_OPERATION_ID,
        attributes: structuredClone(definition.attributes),
        ...vmIdentity(0, index),
        phase: { kind: "started", since: 0 },
      };
    });
}
