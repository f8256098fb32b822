/**
 * Entry point the serialized shims load by package name (`pulumi-cyclecloud/internal/provider-impl`).
 * Not part of the public API. The shims of version 0.1.0, still in the states it wrote, call
 * `nodeSetProvider` and `nodeSetIdentityProvider` directly; this version's call `install`.
 */
import type { dynamic } from "@pulumi/pulumi";
import { nodeSetIdentityProvider } from "./identity-provider";
import { nodeSetProvider } from "./node-set-provider";
import type { ProviderShim } from "./provider-shim";
import { nodeSetIdentityProviderShim, nodeSetProviderShim } from "./provider-shim";

export { nodeSetIdentityProvider, nodeSetProvider };

/**
 * Completes a deserialized shim in the provider process: puts the implementation's methods on it and
 * configures it. Never the shim objects of this process's own provider-shim module: those are what
 * `dynamic.Resource` serializes, and methods on them would be serialized with everything they hold.
 */
export async function install(shim: ProviderShim, req: dynamic.ConfigureRequest): Promise<void> {
  if (shim === nodeSetProviderShim || shim === nodeSetIdentityProviderShim) {
    throw new Error(
      "provider-shim's objects are serialized by dynamic.Resource; call the implementation " +
        "(pulumi-cyclecloud/internal/provider-impl) directly instead of configuring them in this process",
    );
  }
  const methods: dynamic.ResourceProvider =
    shim.implementation === "nodeSetProvider" ? nodeSetProvider : nodeSetIdentityProvider;
  Object.assign(shim, methods, { configure: shim.configure });
  await methods.configure?.(req);
}
