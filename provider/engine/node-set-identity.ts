/**
 * Who a node set is. The request ids of a set's creates derive from its identity, and a create
 * answered 409 adopts the live nodes of that request id (that is how an interrupted create is
 * recovered without making its nodes twice). So two sets must never share an identity, even when
 * Pulumi would let them share a name: the same name under another parent, a new set under the name
 * of a renamed one, a new stack under a renamed stack's name. And one set must keep its identity
 * through everything Pulumi treats as the same resource: a rename or move with `aliases`, a stack
 * rename, and a `pulumi up` that recovers from a crash in the middle of its create.
 *
 * Hence a small sibling resource, declared by the node set itself with the same name, parent and
 * aliases: its create makes a random token, which the engine records in state *before* the set's
 * own create starts (the set's inputs wait for it), and its diff never reports a change. The set's
 * identity is the URN it was first declared under plus that token: unique per resource instance,
 * stable for its life, and already in state when a crash interrupts the first create.
 */
import * as pulumi from "@pulumi/pulumi";
import { asResourceProvider, nodeSetIdentityProviderShim } from "./provider-shim";

/** The type tokens the engine gives the node set and its identity. */
export const NODE_SET_TYPE = "pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSet";
export const NODE_SET_IDENTITY_TYPE = "pulumi-nodejs:dynamic/cyclecloud:CycleCloudNodeSetIdentity";

/** The options of a node set that its identity follows. */
type FollowedOptions = Pick<
  pulumi.CustomResourceOptions,
  "parent" | "aliases" | "protect" | "retainOnDelete" | "deletedWith"
>;

/** The identity of one node set; internal, declared by {@link CycleCloudNodeSet}. */
export class CycleCloudNodeSetIdentity extends pulumi.dynamic.Resource {
  /** `<URN the set was first declared under>#<random token>`. */
  declare readonly identity: pulumi.Output<string>;

  constructor(setName: string, setOptions: FollowedOptions) {
    const { parent, aliases, protect, retainOnDelete, deletedWith } = setOptions;
    const followed = { parent, aliases: aliases?.map(identityAlias), protect, retainOnDelete, deletedWith };
    const opts = Object.fromEntries(Object.entries(followed).filter(([, value]) => value !== undefined));
    super(
      asResourceProvider(nodeSetIdentityProviderShim),
      setName,
      {
        setUrn: pulumi.createUrn(setName, NODE_SET_TYPE, urnOf(setOptions.parent)),
        createdFor: undefined,
        identity: undefined,
      },
      opts,
      "cyclecloud",
      "CycleCloudNodeSetIdentity",
    );
  }
}

/**
 * The URN of a parent, as a plain promise. Not `parent.urn` itself: an output of a component carries
 * a dependency on every child of the component, the set among them, and the set waits for its
 * identity: Pulumi would wait forever (a set inside a component's constructor never registered).
 */
function urnOf(parent: pulumi.Resource | undefined): Promise<string> | undefined {
  if (parent === undefined) return undefined;
  return new Promise((resolve) => void parent.urn.apply(resolve));
}

/**
 * The alias of the identity that matches an alias of its set: the same fields (name, parent, stack,
 * project default to the identity's own, as they do for the set), with the set's type swapped for
 * the identity's where an alias names it, URN strings included.
 */
export function identityAlias(
  alias: pulumi.Input<pulumi.URN | pulumi.Alias>,
): pulumi.Input<pulumi.URN | pulumi.Alias> {
  if (typeof alias === "string") return identityUrn(alias);
  if (pulumi.Output.isInstance(alias) || alias instanceof Promise) {
    return pulumi
      .output(alias as pulumi.Input<pulumi.URN>)
      .apply((urn) => (typeof urn === "string" ? identityUrn(urn) : urn));
  }
  const plain = alias as pulumi.Alias;
  if (plain.type === undefined) return plain;
  return { ...plain, type: pulumi.output(plain.type).apply(identityType) };
}

/** `urn:pulumi:STACK::PROJECT::[PARENT-TYPES$]TYPE::NAME` with the set's type swapped. */
export function identityUrn(urn: string): string {
  const parts = urn.split("::");
  if (parts.length < 4) return urn;
  const types = (parts[2] ?? "").split("$");
  types[types.length - 1] = identityType(types[types.length - 1] ?? "");
  parts[2] = types.join("$");
  return parts.join("::");
}

function identityType(type: string): string {
  return type === NODE_SET_TYPE ? NODE_SET_IDENTITY_TYPE : type;
}
