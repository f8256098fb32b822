import * as pulumi from "@pulumi/pulumi";
import { CycleCloudNodeSet } from "pulumi-cyclecloud";

// Connection: `pulumi config set cyclecloud:url ...` (and username, `--secret` password),
// or CYCLECLOUD_URL / CYCLECLOUD_USERNAME / CYCLECLOUD_PASSWORD.
const config = new pulumi.Config();

const workers = new CycleCloudNodeSet("workers", {
  cluster: config.get("cluster") ?? "hpc",
  nodearray: config.get("nodearray") ?? "ondemand",
  count: config.getNumber("count") ?? 2,
  machineType: config.get("machineType") ?? "Standard_Fs32_v2",
  readyTimeoutSeconds: config.getNumber("readyTimeoutSeconds") ?? 1800,
});

export const hostnames = workers.hostnames;
export const privateIps = workers.privateIps;
export const nodeIds = workers.nodeIds;
export const readyCount = workers.readyCount;
