import { describe, expect, it } from "vitest";
import { identityAlias, identityUrn } from "../../provider/engine/node-set-identity";
import { nodeSetIdentityProvider } from "../../provider/engine/identity-provider";

const SET = "pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSet";
const IDENTITY = "pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSetIdentity";

describe("identityUrn", () => {
  it("swaps the set's type for the identity's in a top-level URN", () => {
    expect(identityUrn(`urn:pulumi:prod::hpc::${SET}::workers`)).toBe(
      `urn:pulumi:prod::hpc::${IDENTITY}::workers`,
    );
  });

  it("keeps the parent types of a URN under a component", () => {
    expect(identityUrn(`urn:pulumi:prod::hpc::acme:hpc:Pool$${SET}::workers`)).toBe(
      `urn:pulumi:prod::hpc::acme:hpc:Pool$${IDENTITY}::workers`,
    );
  });

  it("keeps a name holding '::' and leaves URNs of other types alone", () => {
    expect(identityUrn(`urn:pulumi:prod::hpc::${SET}::a::b`)).toBe(`urn:pulumi:prod::hpc::${IDENTITY}::a::b`);
    expect(identityUrn("urn:pulumi:prod::hpc::aws:s3/bucket:Bucket::b")).toBe(
      "urn:pulumi:prod::hpc::aws:s3/bucket:Bucket::b",
    );
  });
});

describe("identityAlias", () => {
  it("passes name, parent and stack aliases through: they mean the same for the identity", () => {
    const alias = { name: "workers", stack: "prod-old" };
    expect(identityAlias(alias)).toBe(alias);
  });

  it("rewrites an alias given as the set's URN", () => {
    expect(identityAlias(`urn:pulumi:prod::hpc::${SET}::old`)).toBe(`urn:pulumi:prod::hpc::${IDENTITY}::old`);
  });
});

describe("the identity provider", () => {
  it("makes a different random token for every identity, kept with the URN it was made for", async () => {
    const urn = `urn:pulumi:prod::hpc::${SET}::workers`;
    const first = await nodeSetIdentityProvider.create({ setUrn: urn });
    const second = await nodeSetIdentityProvider.create({ setUrn: urn });
    expect(first.id).toMatch(/^[0-9a-f]{24}$/);
    expect(second.id).not.toBe(first.id);
    expect(first.outs).toEqual({ createdFor: urn, identity: `${urn}#${first.id}` });
  });

  it("never reports a change, so a rename or a move keeps the identity", async () => {
    expect(await nodeSetIdentityProvider.diff()).toEqual({ changes: false });
  });
});
