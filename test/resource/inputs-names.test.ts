/**
 * Names that become URL path segments or node names (issue 24 item 2), and check failures that
 * must not make the engine print a secret (issue 22 item 4).
 */
import { describe, expect, it } from "vitest";
import { validateInputs, withoutSecretValues } from "../../provider/core/inputs-check";
import { UNKNOWN } from "../../provider/core/inputs-unknown";

const valid = { identity: "p/s/n", cluster: "hpc", nodearray: "ondemand", count: 2 };
const RULE = "1-80 characters of letters, digits, '.', '_' and '-', starting with a letter or digit";
const CLUSTER = 'give the name of the CycleCloud cluster, e.g. "hpc"';
const NODEARRAY = 'give the name of the nodearray to create nodes from, e.g. "ondemand"';

describe("cluster and nodearray names", () => {
  const table: [string, Record<string, unknown>, string, string][] = [
    ["cluster `..`", { cluster: ".." }, "cluster", `\`cluster\` must be ${RULE}, got "..": ${CLUSTER}`],
    ["cluster `.`", { cluster: "." }, "cluster", `\`cluster\` must be ${RULE}, got ".": ${CLUSTER}`],
    [
      "a cluster with a slash",
      { cluster: "hpc/x" },
      "cluster",
      `\`cluster\` must be ${RULE}, got "hpc/x": ${CLUSTER}`,
    ],
    [
      "a cluster with a space",
      { cluster: "my hpc" },
      "cluster",
      `\`cluster\` must be ${RULE}, got "my hpc": ${CLUSTER}`,
    ],
    [
      "a cluster starting with '-'",
      { cluster: "-hpc" },
      "cluster",
      `\`cluster\` must be ${RULE}, got "-hpc": ${CLUSTER}`,
    ],
    [
      "a cluster of 81 characters",
      { cluster: "c".repeat(81) },
      "cluster",
      `\`cluster\` must be ${RULE}, got "${"c".repeat(81)}": ${CLUSTER}`,
    ],
    [
      "nodearray `..`",
      { nodearray: ".." },
      "nodearray",
      `\`nodearray\` must be ${RULE}, got "..": ${NODEARRAY}`,
    ],
    [
      "a nodearray with '?'",
      { nodearray: "a?b" },
      "nodearray",
      `\`nodearray\` must be ${RULE}, got "a?b": ${NODEARRAY}`,
    ],
  ];
  for (const [what, change, property, reason] of table) {
    it(`refuses ${what}, naming the field and the fix`, () => {
      expect(validateInputs({ ...valid, ...change })).toEqual([{ property, reason }]);
    });
  }

  it("accepts names of 80 characters with '.', '_' and '-' after the first", () => {
    expect(validateInputs({ ...valid, cluster: `h${".-_".repeat(26)}1`, nodearray: "On.demand_2" })).toEqual(
      [],
    );
    expect(validateInputs({ ...valid, cluster: "c".repeat(80), nodearray: "a", count: 1 })).toEqual([]);
  });

  it("does not validate a name unknown during preview", () => {
    expect(validateInputs({ ...valid, cluster: UNKNOWN, nodearray: UNKNOWN })).toEqual([]);
  });
});

describe("nameFormat expansion", () => {
  const table: [string, Record<string, unknown>, string, string][] = [
    [
      "no %d for several nodes",
      { nameFormat: "mpi" },
      "nameFormat",
      '`nameFormat` "mpi" has no %d, so it names exactly one node, but `count` is 2: add %d, e.g. "mpi-%d"',
    ],
    [
      "two %d",
      { nameFormat: "mpi-%d-%d" },
      "nameFormat",
      '`nameFormat` "mpi-%d-%d" has %d 2 times: CycleCloud puts the node\'s index in place of one %d, e.g. "mpi-%d"',
    ],
    [
      "a %s",
      { nameFormat: "mpi-%s-%d" },
      "nameFormat",
      '`nameFormat` "mpi-%s-%d" has a % that is not %d: CycleCloud expands only %d (the node\'s index), e.g. "mpi-%d"',
    ],
    [
      "a zero-padded %03d",
      { nameFormat: "mpi-%03d" },
      "nameFormat",
      '`nameFormat` "mpi-%03d" has a % that is not %d: CycleCloud expands only %d (the node\'s index), e.g. "mpi-%d"',
    ],
    [
      "a slash",
      { nameFormat: "mpi/%d" },
      "nameFormat",
      `\`nameFormat\` "mpi/%d" makes node names such as "mpi/2", but node names are ${RULE}: change \`nameFormat\`, e.g. "mpi-%d"`,
    ],
    [
      "`..` for one node",
      { nameFormat: "..", count: 1 },
      "nameFormat",
      `\`nameFormat\` ".." makes node names such as "..", but node names are ${RULE}: change \`nameFormat\`, e.g. "mpi-%d"`,
    ],
    [
      "a nameOffset that makes the names overflow",
      { nameFormat: `${"n".repeat(74)}-%d`, nameOffset: 99_999 },
      "nameFormat",
      `\`nameFormat\` "${"n".repeat(74)}-%d" makes node names such as "${"n".repeat(74)}-100000" ` +
        "(81 characters, the last of `count` 2 from index 99999), but node names are at most 80 characters: " +
        "shorten `nameFormat` or lower `nameOffset`",
    ],
    [
      "a long nodearray whose default names overflow",
      { nodearray: "a".repeat(78), count: 10 },
      "nodearray",
      `the default \`nameFormat\` "${"a".repeat(78)}-%d" makes node names such as "${"a".repeat(78)}-10" ` +
        "(81 characters, the last of `count` 10 from index 1), but node names are at most 80 characters: " +
        'give a shorter `nameFormat`, e.g. "n-%d"',
    ],
  ];
  for (const [what, change, property, reason] of table) {
    it(`refuses ${what}, naming the field and the fix`, () => {
      expect(validateInputs({ ...valid, ...change })).toEqual([{ property, reason }]);
    });
  }

  it("accepts one %d, no %d for one node, and names of exactly 80 characters", () => {
    expect(validateInputs({ ...valid, nameFormat: "mpi-%d", nameOffset: 100 })).toEqual([]);
    expect(validateInputs({ ...valid, nameFormat: "head", count: 1 })).toEqual([]);
    expect(validateInputs({ ...valid, nameFormat: `${"n".repeat(74)}-%d`, nameOffset: 99_998 })).toEqual([]);
    expect(validateInputs({ ...valid, nodearray: "a".repeat(78), count: 9 })).toEqual([]);
  });

  it("does not check names while count or nameFormat is unknown, nor twice when nameOffset is refused", () => {
    expect(validateInputs({ ...valid, nameFormat: UNKNOWN })).toEqual([]);
    expect(validateInputs({ ...valid, nameFormat: "mpi", count: UNKNOWN })).toEqual([]);
    expect(validateInputs({ ...valid, nameFormat: "mpi-%d", nameOffset: -1 })).toEqual([
      { property: "nameOffset", reason: "`nameOffset` must be a whole number >= 0, got -1" },
    ]);
  });
});

describe("withoutSecretValues", () => {
  it("gives a failure of `connection` or of an unknown key no property, so the engine prints no value", () => {
    const plain = {
      ...valid,
      connection: { url: "https://cc.example", password: "hunter2", timeoutSeconds: 0 },
    };
    expect(withoutSecretValues(validateInputs(plain))).toEqual([
      { property: "", reason: "`connection.timeoutSeconds` must be greater than 0" },
    ]);
    expect(withoutSecretValues(validateInputs({ ...valid, conection: { password: "hunter2" } }))).toEqual([
      { property: "", reason: "`conection` is not an input of a node set: did you mean `connection`?" },
    ]);
  });

  it("keeps the property of other inputs: their value helps and holds no secret", () => {
    expect(withoutSecretValues(validateInputs({ ...valid, count: -1 }))).toEqual([
      { property: "count", reason: "`count` must be a whole number of nodes >= 0, got -1" },
    ]);
  });
});
