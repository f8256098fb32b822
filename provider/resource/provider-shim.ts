/**
 * The object handed to `dynamic.Resource`. Pulumi serializes it to JavaScript text, stores the
 * text in state and evaluates it in the provider process. So it must capture nothing: each method
 * loads the real implementation (node-set-provider.ts) by package name when called, resolving from
 * the program's directory (the provider process's working directory). The serialized text is small,
 * contains no credentials, and is identical for every resource and every run.
 *
 * Keep this file free of imports: anything referenced here would be serialized with it.
 */

/* eslint-disable @typescript-eslint/no-require-imports -- the shim must load modules at call time */

type Impl = import("./node-set-provider").NodeSetProvider;

function loadImplementation(): Impl {
  // `require` inside the serialized text has no filename to resolve from; a require rooted in the
  // working directory finds the package both when installed and through its own `exports` map.
  const { createRequire } = require("node:module") as typeof import("node:module");
  const { join } = require("node:path") as typeof import("node:path");
  const load = createRequire(join(process.cwd(), "pulumi-cyclecloud-provider.js"));
  return (load("pulumi-cyclecloud/internal/provider-impl") as typeof import("./provider-impl")).nodeSetProvider;
}

/** The serialized provider of `CycleCloudNodeSet`. */
export const nodeSetProviderShim = {
  configure: (...args: Parameters<Impl["configure"]>) => loadImplementation().configure(...args),
  check: (...args: Parameters<Impl["check"]>) => loadImplementation().check(...args),
  diff: (...args: Parameters<Impl["diff"]>) => loadImplementation().diff(...args),
  create: (...args: Parameters<Impl["create"]>) => loadImplementation().create(...args),
  read: (...args: Parameters<Impl["read"]>) => loadImplementation().read(...args),
  update: (...args: Parameters<Impl["update"]>) => loadImplementation().update(...args),
  delete: (...args: Parameters<Impl["delete"]>) => loadImplementation().delete(...args),
};
