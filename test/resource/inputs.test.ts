import { describe, expect, it } from "vitest";
import { validateInputs } from "../../provider/core/inputs-check";
import { withDefaults } from "../../provider/core/inputs-pick";
import { UNKNOWN } from "../../provider/core/inputs-unknown";

const valid = { identity: "p/s/n", cluster: "hpc", nodearray: "ondemand", count: 2 };

describe("validateInputs", () => {
  it("accepts a minimal set", () => {
    expect(validateInputs(valid)).toEqual([]);
  });

  const table: [string, Record<string, unknown>, string, string][] = [
    [
      "a missing cluster",
      { cluster: undefined },
      "cluster",
      '`cluster` is required: the name of the CycleCloud cluster, e.g. "hpc"',
    ],
    [
      "an empty nodearray",
      { nodearray: "" },
      "nodearray",
      '`nodearray` must not be empty: give the name of the nodearray to create nodes from, e.g. "ondemand"',
    ],
    ["a negative count", { count: -1 }, "count", "`count` must be a whole number of nodes >= 0, got -1"],
    ["a fractional count", { count: 2.5 }, "count", "`count` must be a whole number of nodes >= 0, got 2.5"],
    ["a huge count", { count: 1e9 }, "count", "`count` must be at most 100000, got 1000000000"],
    ["a string count", { count: "4" }, "count", '`count` must be a whole number of nodes >= 0, got "4"'],
    ["a NaN count", { count: NaN }, "count", "`count` must be a whole number of nodes >= 0, got NaN"],
    [
      "an empty machineType",
      { machineType: "" },
      "machineType",
      "`machineType` must not be empty: omit it to use the nodearray's first suitable bucket",
    ],
    [
      "a placementGroupId with spaces",
      { placementGroupId: "pg 0" },
      "placementGroupId",
      "`placementGroupId` must be 1-80 characters of letters, digits, '.', '_' and '-'",
    ],
    [
      "nodeAttributes as a list",
      { nodeAttributes: ["KeepAlive"] },
      "nodeAttributes",
      '`nodeAttributes` must be an object of node record keys such as { KeepAlive: true, Tags: { team: "cfd" } }, got a list',
    ],
    [
      "nodeAttributes in camelCase",
      { nodeAttributes: { keepAlive: true } },
      "nodeAttributes",
      '`nodeAttributes` keys are node record keys in PascalCase (e.g. KeepAlive, Tags, Configuration); got "keepAlive"',
    ],
    [
      "a nameFormat without %d for several nodes",
      { nameFormat: "mpi" },
      "nameFormat",
      '`nameFormat` "mpi" has no %d, so it names exactly one node, but `count` is 2: add %d, e.g. "mpi-%d"',
    ],
    [
      "a negative nameOffset",
      { nameOffset: -3 },
      "nameOffset",
      "`nameOffset` must be a whole number >= 0, got -3",
    ],
    [
      "a requestId with a slash",
      { requestId: "a/b" },
      "requestId",
      "`requestId` must be 1-64 characters of letters, digits, '.', '_' and '-'; omit it to derive a stable id",
    ],
    [
      "a zero readyTimeoutSeconds",
      { readyTimeoutSeconds: 0 },
      "readyTimeoutSeconds",
      "`readyTimeoutSeconds` must be a number of seconds greater than 0, got 0",
    ],
    [
      "an unknown preflight mode",
      { preflight: "strict" },
      "preflight",
      '`preflight` must be "enforce", "warn" or "off", got "strict"',
    ],
    [
      "an unknown onDelete",
      { onDelete: "stop" },
      "onDelete",
      '`onDelete` must be "terminate" or "deallocate", got "stop"',
    ],
    [
      "adoptExisting without ids",
      { adoptExisting: {} },
      "adoptExisting",
      "`adoptExisting` must name a `requestId` or `nodeIds` of the nodes to adopt",
    ],
    [
      "adoptExisting with an unknown key",
      { adoptExisting: { ids: ["a"] } },
      "adoptExisting",
      "`adoptExisting.ids` is not a key of `adoptExisting` (`adoptExisting` accepts `requestId`, `nodeIds`, `orphaned`)",
    ],
    [
      "adoptExisting with a misspelt key",
      { adoptExisting: { requestid: "outside-1" } },
      "adoptExisting",
      "`adoptExisting.requestid` is not a key of `adoptExisting`: did you mean `requestId`? (`adoptExisting` accepts `requestId`, `nodeIds`, `orphaned`)",
    ],
    [
      "adoptExisting with a misspelt orphaned",
      { adoptExisting: { requestId: "pcc-0123456789abcdef01234567-0", orphand: true } },
      "adoptExisting",
      "`adoptExisting.orphand` is not a key of `adoptExisting`: did you mean `orphaned`? (`adoptExisting` accepts `requestId`, `nodeIds`, `orphaned`)",
    ],
    [
      "adoptExisting orphaned without a requestId",
      { adoptExisting: { nodeIds: ["a"], orphaned: true } },
      "adoptExisting",
      '`adoptExisting.orphaned` asserts that no stack holds the nodes of `adoptExisting.requestId`: give it, e.g. { requestId: "<baseRequestId>-0", orphaned: true }',
    ],
    [
      "adoptExisting with a non-boolean orphaned",
      { adoptExisting: { requestId: "r-0", orphaned: "yes" } },
      "adoptExisting",
      "`adoptExisting.orphaned` must be true or false",
    ],
    [
      "a non-boolean insecure",
      { connection: { insecure: "yes" } },
      "connection",
      "`connection.insecure` must be true or false",
    ],
    [
      "both caCert and caCertPath",
      { connection: { caCert: "x", caCertPath: "y" } },
      "connection",
      "`connection.caCert` and `connection.caCertPath` are exclusive: give the PEM text or a file path, not both",
    ],
    [
      "a misspelt connection setting (it would be dropped and the connection taken from elsewhere)",
      { connection: { url: "https://cc.example", usrname: "admin" } },
      "connection",
      "`connection.usrname` is not a connection setting: did you mean `username`?",
    ],
    [
      "a connection setting nothing like a known one",
      { connection: { proxyHost: "p" } },
      "connection",
      "`connection.proxyHost` is not a connection setting: its settings are url, username, password, caCert, caCertPath, insecure, timeoutSeconds, maxResponseMiB",
    ],
  ];
  for (const [what, change, property, reason] of table) {
    it(`refuses ${what}, naming the field and the fix`, () => {
      expect(validateInputs({ ...valid, ...change })).toEqual([{ property, reason }]);
    });
  }

  it("does not validate values unknown during preview", () => {
    expect(
      validateInputs({ ...valid, count: UNKNOWN, machineType: UNKNOWN, nodeAttributes: { Tags: UNKNOWN } }),
    ).toEqual([]);
  });
});

describe("withDefaults", () => {
  it("applies the documented defaults and the base request id", () => {
    expect(withDefaults({ ...valid, __provider: "text", extra: 1 }, "pcc-1")).toEqual({
      ...valid,
      waitForReady: true,
      readyTimeoutSeconds: 1800,
      deleteTimeoutSeconds: 900,
      preflight: "enforce",
      onDelete: "terminate",
      deleteBeforeReplace: false,
      externalRemovals: "replace",
      scaleDown: "terminate",
      baseRequestId: "pcc-1",
    });
  });
});
