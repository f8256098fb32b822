/** Helpers of the engine-model tier: a stack against an in-process emulator, and the emulator's view. */
import type { RunningEmulator } from "../../emulator";
import type { Declared } from "./engine";
import { EngineModel } from "./engine";

/** A stack whose config is the emulator's connection (as `ws.init(emulator)` in test/e2e). */
export function stackFor(emu: RunningEmulator, config: Record<string, string> = {}): EngineModel {
  return new EngineModel({
    "cyclecloud:url": emu.url,
    "cyclecloud:username": emu.username,
    "cyclecloud:password": emu.password,
    ...config,
  });
}

let serial = 0;
/**
 * A set as a program declares it: `name` and inputs, with an identity of its own as the component's
 * identity resource gives it (`<URN>#<token>`; unique per call, so tests sharing an emulator never meet).
 */
export function declared(
  name: string,
  inputs: Record<string, unknown>,
  deleteBeforeReplace?: boolean,
): Declared {
  serial += 1;
  const identity = `urn:pulumi:test::engine-model::pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSet::${name}#${serial}-${Date.now()}`;
  return {
    name,
    inputs: { identity, name, ...inputs },
    ...(deleteBeforeReplace ? { deleteBeforeReplace } : {}),
  };
}

/** The same set with other inputs (the identity kept, as the program's next version declares it). */
export function redeclared(set: Declared, inputs: Record<string, unknown>): Declared {
  return { ...set, inputs: { ...set.inputs, ...inputs } };
}

/** Live nodes (not terminating), sorted by name. */
export function liveNodes(emu: RunningEmulator) {
  return emu
    .nodes()
    .filter((n) => !["Terminating", "Terminated"].includes(n.record.Status))
    .sort((a, b) => a.record.Name.localeCompare(b.record.Name, "en", { numeric: true }));
}

/** Mutating API requests the emulator received. */
export function mutations(emu: RunningEmulator): number {
  const c = emu.counters();
  return c.create + c.terminate + c.deallocate + c.start + c.shutdown + c.remove + c.scale;
}
