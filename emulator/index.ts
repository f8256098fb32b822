/**
 * The CycleCloud REST API emulator (`pulumi-cyclecloud/emulator`): start one in-process with
 * {@link startEmulator}, or run the `cyclecloud-emulator` command. See emulator/README.md.
 */
export { startEmulator } from "./start-emulator";
export type { EmulatorOptions, RunningEmulator } from "./start-emulator";
export { DEFAULT_TIMING } from "./node-store";
export { DEFAULT_AUTH_PACING } from "./auth-pacing";
export type { AuthPacing } from "./auth-pacing";
export type { EmulatorClock, EmulatorTiming } from "./node-store";
export type { AdminNodeView, WireNodeRecord } from "./wire-records";
export { checkEmulatorConfig, EmulatorConfigError, loadEmulatorConfigFile } from "./config";
export { EmulatorConfigSchema } from "./config-schema";
export type { BucketConfig, ClusterConfig, EmulatorConfig, NodearrayConfig } from "./config-schema";
export { DEFAULT_EMULATOR_CONFIG } from "./default-content";
export type { PemKeyPair } from "./tls";
export { FAULT_ROUTES, FaultInputSchema } from "./fault-queue";
export type { Fault, FaultInput, FaultRoute } from "./fault-queue";
export { ADMIN_PREFIX } from "./admin-api";
export { ADMIN_TOKEN_HEADER } from "./admin-guard";
export type { RequestCounters, RequestLogEntry } from "./admin-api";
