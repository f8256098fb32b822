/** The content the emulator starts with when given no config. */
import type { EmulatorConfig } from "./config-schema";

/**
 * The seed document's cluster: `hpc` with nodearray `ondemand` and the buckets `Standard_Fs32_v2`
 * and `Standard_Hc44rs`, with the exact numbers of the seed's status example, and a head node
 * `scheduler` (in no nodearray, `Fixed`) as real clusters have.
 */
export const DEFAULT_EMULATOR_CONFIG: EmulatorConfig = {
  clusters: [
    {
      name: "hpc",
      state: "Started",
      targetState: "Started",
      maxCount: 100,
      maxCoreCount: 10000,
      nodes: [
        {
          name: "scheduler",
          machineType: "Standard_D4s_v3",
          vcpuCount: 4,
          memory: 16,
          region: "westus2",
          attributes: { Fixed: true, SubnetId: "hpc-rg/hpc-vnet/default", Configuration: {} },
        },
      ],
      nodearrays: [
        {
          name: "ondemand",
          maxCount: 100,
          maxCoreCount: 500,
          region: "westus2",
          attributes: {
            SubnetId: "hpc-rg/hpc-vnet/compute",
            Interruptible: false,
            ShutdownPolicy: "Terminate",
            Configuration: {},
          },
          buckets: [
            {
              bucketId: "cd56af52-abcd-1234-a4e7-e6a91ca519a2",
              machineType: "Standard_Fs32_v2",
              vcpuCount: 32,
              memory: 64.0,
              infiniband: false,
              maxCount: 3,
              maxCoreCount: 96,
              quotaCount: 3,
              quotaCoreCount: 100,
              consumedCoreCount: 0,
              maxPlacementGroupSize: 40,
              maxPlacementGroupCoreSize: 1280,
            },
            {
              bucketId: "d81e001a-abcd-1234-9754-79815cb7b225",
              machineType: "Standard_Hc44rs",
              vcpuCount: 44,
              memory: 327.83,
              infiniband: true,
              maxCount: 11,
              maxCoreCount: 484,
              quotaCount: 200,
              quotaCoreCount: 8800,
              consumedCoreCount: 44,
              maxPlacementGroupSize: 40,
              maxPlacementGroupCoreSize: 1760,
            },
          ],
        },
      ],
    },
  ],
};
