/**
 * Entry point the serialized shims load by package name (`pulumi-cyclecloud/internal/provider-impl`).
 * Not part of the public API.
 */
export { nodeSetProvider } from "./node-set-provider";
export { nodeSetIdentityProvider } from "./identity-provider";
