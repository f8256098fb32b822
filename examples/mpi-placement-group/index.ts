import * as pulumi from "@pulumi/pulumi";
import { CycleCloudNodeSet, capacityFit, describeFit, findBucket, getClusterStatus } from "pulumi-cyclecloud";

// The seed's tightly coupled case: 4 x Standard_Hc44rs in placement group pg0, on InfiniBand.
const config = new pulumi.Config();
const cluster = config.get("cluster") ?? "hpc";
const count = config.getNumber("count") ?? 4;
const spec = { nodearray: "ondemand", machineType: "Standard_Hc44rs", placementGroupId: "pg0" };

export = async () => {
  // Preflight in the program: read the cluster's buckets before declaring anything.
  const status = await getClusterStatus({ cluster });
  const bucket = findBucket(status, spec);
  if (!bucket) {
    throw new Error(
      `cluster '${cluster}' offers no ${spec.machineType} bucket in nodearray '${spec.nodearray}'`,
    );
  }
  if (!bucket.virtualMachine.infiniband) {
    throw new Error(`${spec.machineType} has no InfiniBand: an MPI placement group needs it`);
  }
  // Nodes already in pg0 are this stack's own; only the rest must be available.
  const inGroup = bucket.placementGroups.find((g) => g.name === spec.placementGroupId)?.activeCount ?? 0;
  const fit = capacityFit(status, spec, Math.max(0, count - inGroup));
  if (!fit.fits) {
    throw new Error(`not enough capacity for the MPI job: ${describeFit(cluster, spec, fit)}`);
  }
  pulumi.log.info(`preflight: ${describeFit(cluster, spec, fit)}`);

  const mpi = new CycleCloudNodeSet("mpi", { cluster, ...spec, count });
  return {
    hostnames: mpi.hostnames,
    privateIps: mpi.privateIps,
    bucketId: mpi.bucketId,
  };
};
