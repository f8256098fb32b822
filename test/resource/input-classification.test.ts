import { describe, expect, expectTypeOf, it } from "vitest";
import type { CycleCloudNodeSetArgs } from "../../provider/engine/cyclecloud-node-set";
import type { ArgKey, InputKey } from "../../provider/core/inputs";
import {
  ARG_KEYS,
  INPUT_KEYS,
  NODE_SET_INPUTS,
  nodeSetInputsSchema,
  REPLACE_KEYS,
  SECRET_KEYS,
  UPDATE_KEYS,
} from "../../provider/core/inputs";

describe("the node set's inputs, defined once", () => {
  it("classifies every input of the schema by what its change does, and whether it is secret", () => {
    const effects = ["replaces", "in-place", "no-node", "not-compared"];
    const unclassified = Object.keys(nodeSetInputsSchema.shape).filter((key) => {
      const meta: { effect?: unknown; secret?: unknown } | undefined = NODE_SET_INPUTS[key as InputKey];
      return !effects.includes(String(meta?.effect)) || typeof meta?.secret !== "boolean";
    });
    expect(unclassified).toEqual([]);
    expect(Object.keys(nodeSetInputsSchema.shape)).toEqual(INPUT_KEYS);
  });

  it("puts every input in exactly one of: replaces the set, updated in place, not compared", () => {
    const notCompared = INPUT_KEYS.filter((key) => NODE_SET_INPUTS[key].effect === "not-compared");
    expect(notCompared).toEqual(["identity", "name", "baseRequestId"]);
    expect([...REPLACE_KEYS, ...UPDATE_KEYS, ...notCompared].sort()).toEqual([...INPUT_KEYS].sort());
  });

  it("derives the key lists the provider used to spell out, in the same order", () => {
    expect(REPLACE_KEYS).toEqual([
      "cluster",
      "nodearray",
      "machineType",
      "placementGroupId",
      "placementGroups",
      "nodeAttributes",
      "nameFormat",
      "nameOffset",
      "requestId",
    ]);
    expect(UPDATE_KEYS).toEqual([
      "count",
      "adoptExisting",
      "waitForReady",
      "readyTimeoutSeconds",
      "deleteTimeoutSeconds",
      "preflight",
      "onDelete",
      "deleteBeforeReplace",
      "externalRemovals",
      "scaleDown",
      "minReady",
      "connection",
    ]);
    expect(ARG_KEYS).toEqual([
      "cluster",
      "nodearray",
      "count",
      "machineType",
      "placementGroupId",
      "placementGroups",
      "nodeAttributes",
      "nameFormat",
      "nameOffset",
      "requestId",
      "waitForReady",
      "readyTimeoutSeconds",
      "deleteTimeoutSeconds",
      "preflight",
      "onDelete",
      "deleteBeforeReplace",
      "externalRemovals",
      "scaleDown",
      "minReady",
      "adoptExisting",
      "connection",
    ]);
    expect(SECRET_KEYS).toEqual(["connection"]);
  });

  it("documents exactly the program's inputs in CycleCloudNodeSetArgs (checked by the typecheck)", () => {
    expectTypeOf<keyof CycleCloudNodeSetArgs>().toEqualTypeOf<ArgKey>();
    expectTypeOf<ArgKey>().toEqualTypeOf<(typeof ARG_KEYS)[number]>();
  });
});
