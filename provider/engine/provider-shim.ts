/**
 * The objects handed to `dynamic.Resource`. Pulumi serializes each to JavaScript text, stores the
 * text in the inputs and the outputs of every resource, and evaluates it in the provider process.
 * So it must capture nothing, and it should be small: the state of a stack holds it twice per
 * resource, and the file backend rewrites the whole state after every step.
 *
 * Hence one function per object. Pulumi's serialization wraps every function in about 200 bytes,
 * so a shim with a function per method (check, diff, create, read, update, delete) costs more than
 * twice as much as one with `configure` alone. The provider process calls `configure` once, before
 * any other method and synchronously after evaluating the text (cmd/dynamic-provider, getProvider).
 * It loads the implementation by package name, resolving from the program's directory (the
 * provider process's working directory), and hands over: `install` (provider-impl.ts) puts the
 * implementation's methods (named by the shim's `implementation`) on the object and configures it.
 *
 * Keep this file free of value imports: anything referenced here would be serialized with it.
 * Comments inside the function would be serialized too, so they live out here:
 * - `require` inside the serialized text has no filename to resolve from; a require rooted in the
 *   working directory (`createRequire` of a path ending in `/`, which Node takes as that directory)
 *   finds the package both when installed and through its own `exports` map (a `Pulumi.yaml` at the
 *   package's root).
 * - `configure` is a function expression, not a declaration: a declaration's name is in scope in its
 *   own body, so Pulumi would serialize a binding of it and a comment with the name (about 50 bytes
 *   more per copy, two copies per resource).
 * - The names loaded (`pulumi-cyclecloud/internal/provider-impl`, `nodeSetProvider`,
 *   `nodeSetIdentityProvider`) are also what the shims of earlier versions load from the states
 *   they wrote (the engine deletes and reads a resource with the provider text in its state): they
 *   must keep existing.
 */
import type * as NodeModule from "node:module";
import type { dynamic } from "@pulumi/pulumi";
import type * as ProviderImpl from "./provider-impl";

/** A shim before `configure`: what is serialized. */
export interface ProviderShim {
  /** The export of provider-impl.ts that implements the methods. */
  readonly implementation: "nodeSetProvider" | "nodeSetIdentityProvider";
  configure(this: ProviderShim, req: dynamic.ConfigureRequest): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-require-imports -- the shim must load modules at call time */
const configure = function (this: ProviderShim, req: dynamic.ConfigureRequest): Promise<void> {
  const load = (require("node:module") as typeof NodeModule).createRequire(process.cwd() + "/");
  return (load("pulumi-cyclecloud/internal/provider-impl") as typeof ProviderImpl).install(this, req);
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The serialized provider of `CycleCloudNodeSet`. */
export const nodeSetProviderShim: ProviderShim = { implementation: "nodeSetProvider", configure };

/** The serialized provider of a node set's identity (identity-provider.ts). */
export const nodeSetIdentityProviderShim: ProviderShim = {
  implementation: "nodeSetIdentityProvider",
  configure,
};

/**
 * A shim as `dynamic.Resource` takes it: its type asks for `create`, which the shim gets from
 * `configure` in the provider process (see above).
 */
export function asResourceProvider(shim: ProviderShim): dynamic.ResourceProvider {
  return shim as unknown as dynamic.ResourceProvider;
}
