/** The shapes of a capacity check: what a set asks (`NodeSpec`) and the answer (`CapacityFit`). */
import type { Bucket } from "../../wire/schemas";

/** What a set of nodes asks of a cluster. */
export interface NodeSpec {
  nodearray: string;
  /** Without it, the nodearray's first valid bucket (the one CycleCloud would pick) is used. */
  machineType?: string | undefined;
  placementGroupId?: string | undefined;
}

/** One limit on how many more nodes of a spec the cluster can take. */
export interface CapacityLimit {
  /** e.g. "bucket availableCount", "nodearray maxCoreCount", "family quota standardHCSFamily". */
  name: string;
  /** Nodes of this spec the limit still admits. */
  nodes: number;
  /** Quota layers: the cores free now and after `nodes` more, e.g. "352 of 880 cores free, 0 free after 8 nodes". */
  detail?: string;
  /** Quota layers: what raises the limit, naming the wire fields it was read from. */
  fix?: string;
}

export type CapacityFit =
  | {
      fits: boolean;
      requested: number;
      /** Nodes of this spec that can be added now (the smallest limit). */
      available: number;
      /** The smallest limit: the one that binds. */
      binding: CapacityLimit;
      limits: CapacityLimit[];
      bucket: Bucket;
      /** The bucket's VM size (from its `definition`, or the nodearray's `MachineType`). */
      machineType?: string;
      /**
       * What the check notices without refusing: a placement group on a size without InfiniBand,
       * a plan that fits only if the cluster's `maxCount` is what remains.
       */
      warnings: string[];
      problem?: undefined;
      problemField?: undefined;
    }
  | {
      fits: false;
      requested: number;
      available: 0;
      /** Why no node of this spec can be added at all (no such nodearray or bucket, invalid bucket). */
      problem: string;
      /** The input the problem is about. */
      problemField: "nodearray" | "machineType" | "placementGroupId";
      bucket?: Bucket;
      binding?: undefined;
      limits?: undefined;
      warnings?: undefined;
      machineType?: undefined;
    };
