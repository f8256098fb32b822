/**
 * Entry point the serialized shim loads by package name (`pulumi-cyclecloud/internal/provider-impl`).
 * Not part of the public API.
 */
export { nodeSetProvider } from "./node-set-provider";
