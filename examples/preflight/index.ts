import * as pulumi from "@pulumi/pulumi";
import { CycleCloudNodeSet } from "pulumi-cyclecloud";

// The seed's Standard_Hc44rs bucket holds at most 11 nodes. Asking for 12 makes `pulumi preview`
// fail before anything is created, with a message naming the limit that binds:
//   preflight hpc/ondemand Standard_Hc44rs: +12 requested, 11 available
//   (binding limit: bucket availableCount) - does not fit
// `pulumi config set count 8` makes the same preview pass.
const config = new pulumi.Config();

const solvers = new CycleCloudNodeSet("solvers", {
  cluster: config.get("cluster") ?? "hpc",
  nodearray: "ondemand",
  machineType: "Standard_Hc44rs",
  count: config.getNumber("count") ?? 12,
  preflight: "enforce",
});

export const hostnames = solvers.hostnames;
