/**
 * The provider of a node set's identity (see node-set-identity.ts): a random token made once, when
 * the identity is created, and then never changed. It runs in the provider process, loaded by the
 * serialized shim; it touches no node and talks to no server.
 */
import { randomBytes } from "node:crypto";
import type { dynamic } from "@pulumi/pulumi";

/** The state of a node set identity. */
export interface NodeSetIdentityState {
  /** URN of the node set when its identity was made (kept through renames and moves). */
  createdFor: string;
  /** `<createdFor>#<24 random hex digits>`: what the set's request ids derive from. */
  identity: string;
}

async function create(props: Record<string, unknown>): Promise<dynamic.CreateResult> {
  const createdFor = typeof props["setUrn"] === "string" ? props["setUrn"] : "";
  const token = randomBytes(12).toString("hex");
  const outs: NodeSetIdentityState = { createdFor, identity: `${createdFor}#${token}` };
  return { id: token, outs };
}

export const nodeSetIdentityProvider = {
  create,
  // Never a change: a rename, an alias, a new parent or a renamed stack changes the URN it was
  // given, but the identity must stay the one the set's nodes were made under.
  diff: async (): Promise<dynamic.DiffResult> => ({ changes: false }),
  read: async (id: string, props: Record<string, unknown>): Promise<dynamic.ReadResult> => ({ id, props }),
  // Nothing to remove: the token only ever lived in state.
  delete: async (): Promise<void> => undefined,
} satisfies dynamic.ResourceProvider;
