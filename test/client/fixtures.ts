/**
 * Wire bodies for the client tests, taken from the seed document's examples (cluster `hpc`,
 * nodearray `ondemand`, buckets `Standard_Fs32_v2` and `Standard_Hc44rs`).
 */
import { CycleCloudClient } from "../../provider/client";
import type { ClientSettings } from "../../provider/client";
import { SEED_REQUEST_ID, seedClusterStatus79 } from "../fixtures/seed";

export const BASE_URL = "https://cyclecloud.example.com:8443";
export const USERNAME = "admin";
export const PASSWORD = "s3cr3t-Pa55-w0rd";
/** What the client must send in `Authorization`. */
export const AUTHORIZATION = `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString("base64")}`;

/**
 * A client of {@link BASE_URL} (unless `overrides` names another `url`) as {@link USERNAME}, whose
 * retries do not wait (delays 0 ms) and whose log lines land in `lines`.
 */
export function makeClient(overrides: Partial<ClientSettings> = {}): {
  client: CycleCloudClient;
  lines: string[];
} {
  const lines: string[] = [];
  const client = new CycleCloudClient({
    url: BASE_URL,
    username: USERNAME,
    password: PASSWORD,
    retryBaseDelayMs: 0,
    retryMaxDelayMs: 0,
    logger: (line) => lines.push(line),
    ...overrides,
  });
  return { client, lines };
}

/** A 7.9 server's status of the seed cluster (no 8.x fields). */
export const clusterStatus79 = seedClusterStatus79();

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
  RequestId: SEED_REQUEST_ID,
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
  RequestId: SEED_REQUEST_ID,
};

export const createOperation = { action: "create", startTime: "2024-05-01T10:00:00.000Z" };
