import { describe, expect, it } from "vitest";
import { install, nodeSetIdentityProvider, nodeSetProvider } from "../../provider/engine/provider-impl";
import type { ProviderShim } from "../../provider/engine/provider-shim";
import { nodeSetIdentityProviderShim, nodeSetProviderShim } from "../../provider/engine/provider-shim";

const req = { config: { get: () => undefined, require: () => "" } } as never;

describe("install (what a deserialized shim's configure hands over to)", () => {
  it("puts the implementation's methods on a copy of the shim and keeps its configure", async () => {
    const copy: ProviderShim & Record<string, unknown> = { ...nodeSetProviderShim };
    await install(copy, req);
    for (const key of ["check", "diff", "create", "read", "update", "delete"] as const) {
      expect(copy[key]).toBe(nodeSetProvider[key]);
    }
    expect(copy.configure).toBe(nodeSetProviderShim.configure);

    const identity: ProviderShim & Record<string, unknown> = { ...nodeSetIdentityProviderShim };
    await install(identity, req);
    expect(identity["create"]).toBe(nodeSetIdentityProvider.create);
    expect(identity["diff"]).toBe(nodeSetIdentityProvider.diff);
  });

  it("refuses the objects dynamic.Resource serializes, leaving them as they were", async () => {
    for (const shim of [nodeSetProviderShim, nodeSetIdentityProviderShim]) {
      await expect(install(shim, req)).rejects.toThrow(/serialized by dynamic\.Resource/);
      expect(Object.keys(shim)).toEqual(["implementation", "configure"]);
    }
  });
});
