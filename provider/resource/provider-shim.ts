/**
 * The object handed to `dynamic.Resource`. Pulumi serializes it to JavaScript text, stores the
 * text in state and evaluates it in the provider process. So it must capture nothing: each method
 * loads the real implementation (node-set-provider.ts) by package name when called, resolving from
 * the program's directory (the provider process's working directory). The serialized text is small,
 * contains no credentials, and is identical for every resource and every run.
 *
 * Keep this file free of value imports: anything referenced here would be serialized with it.
 * Comments inside the functions would be serialized too, so they live out here:
 * `require` inside the serialized text has no filename to resolve from; a require rooted in the
 * working directory finds the package both when installed and through its own `exports` map (a
 * `Pulumi.yaml` at the package's root).
 */
import type * as NodeModule from "node:module";
import type * as NodePath from "node:path";
import type { NodeSetIdentityProvider } from "./identity-provider";
import type { NodeSetProvider } from "./node-set-provider";
import type * as ProviderImpl from "./provider-impl";

/* eslint-disable @typescript-eslint/no-require-imports -- the shim must load modules at call time */
function loadImplementation(): typeof ProviderImpl {
  const { createRequire } = require("node:module") as typeof NodeModule;
  const { join } = require("node:path") as typeof NodePath;
  const load = createRequire(join(process.cwd(), "pulumi-cyclecloud-provider.js"));
  return load("pulumi-cyclecloud/internal/provider-impl") as typeof ProviderImpl;
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** The serialized provider of `CycleCloudNodeSet`. */
export const nodeSetProviderShim = {
  configure: (...args: Parameters<NodeSetProvider["configure"]>) =>
    loadImplementation().nodeSetProvider.configure(...args),
  check: (...args: Parameters<NodeSetProvider["check"]>) =>
    loadImplementation().nodeSetProvider.check(...args),
  diff: (...args: Parameters<NodeSetProvider["diff"]>) => loadImplementation().nodeSetProvider.diff(...args),
  create: (...args: Parameters<NodeSetProvider["create"]>) =>
    loadImplementation().nodeSetProvider.create(...args),
  read: (...args: Parameters<NodeSetProvider["read"]>) => loadImplementation().nodeSetProvider.read(...args),
  update: (...args: Parameters<NodeSetProvider["update"]>) =>
    loadImplementation().nodeSetProvider.update(...args),
  delete: (...args: Parameters<NodeSetProvider["delete"]>) =>
    loadImplementation().nodeSetProvider.delete(...args),
};

/** The serialized provider of a node set's identity (identity-provider.ts). */
export const nodeSetIdentityProviderShim = {
  create: (...args: Parameters<NodeSetIdentityProvider["create"]>) =>
    loadImplementation().nodeSetIdentityProvider.create(...args),
  diff: () => loadImplementation().nodeSetIdentityProvider.diff(),
  read: (...args: Parameters<NodeSetIdentityProvider["read"]>) =>
    loadImplementation().nodeSetIdentityProvider.read(...args),
  delete: () => loadImplementation().nodeSetIdentityProvider.delete(),
};
