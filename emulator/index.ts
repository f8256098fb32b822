/**
 * The CycleCloud REST API emulator (`pulumi-cyclecloud/emulator`): start one in-process with
 * {@link startEmulator}, or run the `cyclecloud-emulator` command. See emulator/README.md.
 */
export { startEmulator } from "./server/start-emulator";
export type { EmulatorOptions, RunningEmulator } from "./server/start-emulator";
export { DEFAULT_TIMING } from "./store/state";
export { DEFAULT_AUTH_PACING } from "./server/auth-pacing";
export type { AuthPacing } from "./server/auth-pacing";
export type { EmulatorClock, EmulatorTiming } from "./store/state";
export type { AdminNodeView, WireNodeRecord } from "./store/wire-records";
export { checkEmulatorConfig, EmulatorConfigError, loadEmulatorConfigFile } from "./config/config";
export { EmulatorConfigSchema } from "./config/config-schema";
export type { BucketConfig, ClusterConfig, EmulatorConfig, NodearrayConfig } from "./config/config-schema";
export { DEFAULT_EMULATOR_CONFIG } from "./config/default-content";
export type { PemKeyPair } from "./server/tls";
export { FAULT_ROUTES, FaultInputSchema } from "./store/fault-queue";
export type { Fault, FaultInput, FaultRoute } from "./store/fault-queue";
export { ADMIN_PREFIX } from "./handlers/admin-api";
export { ADMIN_TOKEN_HEADER } from "./server/admin-guard";
export type { RequestCounters, RequestLogEntry } from "./handlers/admin-api";
