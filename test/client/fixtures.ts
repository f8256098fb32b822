/**
 * Wire bodies for the client tests, taken from the seed document's examples (cluster `hpc`,
 * nodearray `ondemand`, buckets `Standard_Fs32_v2` and `Standard_Hc44rs`).
 */

export const BASE_URL = "https://cyclecloud.example.com:8443";
export const USERNAME = "admin";
export const PASSWORD = "s3cr3t-Pa55-w0rd";
/** What the client must send in `Authorization`. */
export const AUTHORIZATION = `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString("base64")}`;

/** A 7.9 server's status: no 8.x fields (family/regional quotas, pcpuCount, lastCapacityFailure). */
export const clusterStatus79 = {
  state: "Started",
  targetState: "Started",
  maxCount: 100,
  maxCoreCount: 10000,
  nodearrays: [
    {
      name: "ondemand",
      maxCount: 100,
      maxCoreCount: 500,
      buckets: [
        {
          bucketId: "cd56af52-abcd-1234-a4e7-e6a91ca519a2",
          definition: { machineType: "Standard_Fs32_v2" },
          maxCount: 3,
          maxCoreCount: 96,
          activeCount: 0,
          activeCoreCount: 0,
          availableCount: 3,
          availableCoreCount: 96,
          quotaCount: 3,
          quotaCoreCount: 100,
          consumedCoreCount: 0,
          maxPlacementGroupSize: 40,
          maxPlacementGroupCoreSize: 1280,
          valid: true,
          placementGroups: [],
          virtualMachine: { vcpuCount: 32, memory: 64.0, infiniband: false },
        },
        {
          bucketId: "d81e001a-abcd-1234-9754-79815cb7b225",
          definition: { machineType: "Standard_Hc44rs" },
          maxCount: 11,
          maxCoreCount: 484,
          activeCount: 0,
          activeCoreCount: 0,
          availableCount: 11,
          availableCoreCount: 484,
          quotaCount: 200,
          quotaCoreCount: 8800,
          consumedCoreCount: 44,
          maxPlacementGroupSize: 40,
          maxPlacementGroupCoreSize: 1760,
          valid: true,
          placementGroups: [],
          virtualMachine: { vcpuCount: 44, memory: 327.83, infiniband: true },
        },
      ],
    },
  ],
};

export const readyNode = {
  Name: "ondemand-1",
  NodeId: "62a1b116-abcd-1234-b290-b54ea23f1b68",
  Template: "ondemand",
  Status: "Ready",
  State: "Started",
  TargetState: "Started",
  MachineType: "Standard_Hc44rs",
  Hostname: "ip-0a000004",
  PrivateIp: "10.0.0.4",
  PlacementGroupId: "pg0",
  RequestId: "463270ca-abcd-1234-98d6-431ee3ef8ed5",
  Infiniband: true,
  CoreCount: 44,
};

/** Acquiring: no `TargetState`, no `PrivateIp` yet. */
export const acquiringNode = {
  Name: "ondemand-2",
  NodeId: "0b7f5a41-abcd-1234-8c1e-1f2a3b4c5d6e",
  Template: "ondemand",
  Status: "Acquiring",
  MachineType: "Standard_Hc44rs",
  PlacementGroupId: "pg0",
  RequestId: "463270ca-abcd-1234-98d6-431ee3ef8ed5",
};

export const createOperation = { action: "create", startTime: "2024-05-01T10:00:00.000Z" };
