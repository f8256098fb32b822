/**
 * Waits of the resource layer that must end: the probe for the request ids of interrupted creates
 * stops at an empty listing as at a 404, and at {@link MAX_PROBED_REQUESTS} ids whatever the server
 * says; the search for a free request id stops too. Also the texts that say what became of a set
 * after a partial add, and which settings to fix when preflight cannot reach CycleCloud.
 */
import { describe, expect, it } from "vitest";
import { HttpError, NetworkError, TimeoutError } from "../../provider/client";
import { ConnectionConfigError } from "../../provider/core/connection";
import type { NodeList } from "../../wire/schemas";
import { firstUnusedSequence } from "../../provider/ops/create-protocol";
import { connectionFix } from "../../provider/core/connection-problem";
import { explainPartialAdd, partialAddReason } from "../../provider/core/failure-messages";
import type { NodeSetInputs } from "../../provider/core/inputs";
import type { NodeSetClient, OperationContext } from "../../provider/ops/node-set-listing";
import {
  CHECK_PROBE_GAPS,
  MAX_PROBED_REQUESTS,
  listHoldings,
  listOwnNodes,
} from "../../provider/ops/node-set-listing";
import { operationContext } from "./fixtures";

const BASE = "pcc-0123456789abcdef01234567";

/** A context whose client answers each `?request_id=` listing with `answer(id)`; records the ids asked. */
function contextListing(answer: (requestId: string) => NodeList): { ctx: OperationContext; asked: string[] } {
  const asked: string[] = [];
  const client = {
    listNodes: (_cluster: string, filter?: { requestId?: string }) => {
      const id = filter?.requestId ?? "(unfiltered)";
      asked.push(id);
      return Promise.resolve(answer(id));
    },
  } as unknown as NodeSetClient;
  const inputs = {
    cluster: "hpc",
    nodearray: "ondemand",
    count: 1,
    identity: "p/s/workers",
    baseRequestId: BASE,
  } as NodeSetInputs;
  return { ctx: operationContext(client, inputs), asked };
}

/** CycleCloud's answer to a listing by a request id it does not know. */
const unknown = new HttpError({
  method: "GET",
  path: "/clusters/hpc/nodes",
  status: 404,
  statusText: "Not Found",
  serverMessage: "No operation found for request id",
});

const node = (name: string) => ({ Name: name, NodeId: `id-${name}`, Template: "ondemand", Status: "Ready" });

describe("the probe for the request ids of interrupted creates", () => {
  it("stops at the first empty listing, as at a 404 (a server answering unknown ids with no nodes)", async () => {
    const { ctx, asked } = contextListing((id) => ({
      nodes: id === `${BASE}-0` ? [node("ondemand-1")] : [],
    }));

    const held = await listHoldings(ctx, { requestIds: [`${BASE}-0`] }, { probeForward: true });

    expect(asked).toEqual([`${BASE}-0`, `${BASE}-1`]);
    expect(held.requestIds).toEqual([`${BASE}-0`]);
    expect(held.nodes.map((n) => n.name)).toEqual(["ondemand-1"]);
  });

  it("keeps what interrupted creates left before the empty listing", async () => {
    const { ctx, asked } = contextListing((id) => ({
      nodes: id === `${BASE}-1` ? [node("ondemand-2")] : id === `${BASE}-0` ? [node("ondemand-1")] : [],
    }));

    const held = await listHoldings(ctx, { requestIds: [`${BASE}-0`] }, { probeForward: true });

    expect(asked).toEqual([`${BASE}-0`, `${BASE}-1`, `${BASE}-2`]);
    expect(held.requestIds).toEqual([`${BASE}-0`, `${BASE}-1`]);
  });

  it(`fails after ${MAX_PROBED_REQUESTS} request ids when the server lists nodes of the spec for every one`, async () => {
    const { ctx, asked } = contextListing(() => ({ nodes: [node("ondemand-1")] }));

    const error = await listHoldings(ctx, { requestIds: [] }, { probeForward: true }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      `looking for the nodes of interrupted creates, CycleCloud listed nodes of this set's spec for each of the ` +
        `100 request ids ${BASE}-0 to ${BASE}-99: stopped there, as a set makes one request per create; ` +
        `check what CycleCloud answers to GET /clusters/hpc/nodes?request_id=${BASE}-100`,
    );
    expect(asked).toHaveLength(MAX_PROBED_REQUESTS);
  });
});

describe("the search for a free request id", () => {
  it("fails when the server knows every id, after 21 listings", async () => {
    const { ctx, asked } = contextListing(() => ({ nodes: [] }));

    const error = await firstUnusedSequence(ctx, 3).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      `CycleCloud knows every request id from ${BASE}-3 to ${BASE}-${3 + 2 ** 20}: could not find a free one; set an explicit \`requestId\``,
    );
    expect(asked).toHaveLength(21);
  });

  it("still finds the first free id by bisection when the server answers 404", async () => {
    const { ctx, asked } = contextListing((id) => {
      if (Number(id.slice(BASE.length + 1)) >= 10) throw unknown;
      return { nodes: [] };
    });

    await expect(firstUnusedSequence(ctx, 3)).resolves.toBe(10);
    expect(asked).toEqual([4, 5, 7, 11, 9, 10].map((n) => `${BASE}-${n}`));
  });
});

describe("check's count of a set on a server whose records carry no RequestId (probed request by request)", () => {
  /** Requests -0 and -2 hold nodes; -1 is empty (a heal replaced its node); ids from `known` on are unknown. */
  const server = (known: number) => (id: string) => {
    if (id === "(unfiltered)") return { nodes: [node("ondemand-1"), node("ondemand-2"), node("ondemand-3")] };
    const sequence = Number(id.slice(BASE.length + 1));
    if (sequence >= known) throw unknown;
    return { nodes: sequence === 0 ? [node("ondemand-1")] : sequence === 2 ? [node("ondemand-3")] : [] };
  };
  const nothingAdopted = { requestIds: [], adoptedNodeIds: [] };

  it("looks past an empty request to the nodes of the later ones, and stops at the first unknown id", async () => {
    const { ctx, asked } = contextListing(server(3));

    const held = await listOwnNodes(ctx, nothingAdopted);

    expect(held.nodes.map((n) => n.name)).toEqual(["ondemand-1", "ondemand-3"]);
    expect(held.requestIds).toEqual([`${BASE}-0`, `${BASE}-2`]);
    expect(asked).toEqual(["(unfiltered)", ...[0, 1, 2, 3].map((n) => `${BASE}-${n}`)]);
  });

  it(`stops after ${CHECK_PROBE_GAPS} empty requests in a row when the server answers unknown ids with no nodes`, async () => {
    const { ctx, asked } = contextListing(server(Number.POSITIVE_INFINITY));

    const held = await listOwnNodes(ctx, nothingAdopted);

    expect(held.requestIds).toEqual([`${BASE}-0`, `${BASE}-2`]);
    // The unfiltered listing, -0 to -2, then the empty ones after -2: one more than it looks past.
    expect(asked).toHaveLength(1 + 3 + CHECK_PROBE_GAPS + 1);
  });
});

describe("the partial add's message", () => {
  const reason = partialAddReason(
    2,
    3,
    "Added 2 of 3 requested nodes: bucket Standard_F2s_v2 has room for 2",
  );

  it("says what was recorded, that the room was taken since preflight checked, and what the next up does", () => {
    expect(
      explainPartialAdd(reason, {
        set: "workers",
        added: 2,
        requested: 3,
        recorded: 4,
        preflight: "enforce",
      }),
    ).toBe(
      "CycleCloud added 2 of 3 requested node(s): Added 2 of 3 requested nodes: bucket Standard_F2s_v2 has room for 2; " +
        "set workers is recorded in state as a partial failure with the 4 node(s) it holds. " +
        "Preflight had found room for 3 when it checked the cluster: the room was taken since, likely by another " +
        "deployment or the cluster's autoscaler adding nodes to the same bucket at the same time. " +
        "The next `pulumi up` asks for the 1 missing node(s) again; `pulumi preview` shows first whether they fit now",
    );
  });

  it("does not claim preflight found room when it did not check", () => {
    expect(
      explainPartialAdd(partialAddReason(0, 2, undefined), {
        set: "w",
        added: 0,
        requested: 2,
        recorded: 1,
        preflight: "off",
      }),
    ).toBe(
      "CycleCloud added 0 of 2 requested node(s); set w is recorded in state as a partial failure with the 1 node(s) it holds. " +
        'Preflight is "off": the cluster\'s room was not checked. ' +
        "The next `pulumi up` asks for the 2 missing node(s) again; `pulumi preview` shows first whether they fit now",
    );
  });
});

describe("the fix preflight gives when it cannot reach CycleCloud", () => {
  const request = { method: "GET", path: "/clusters/hpc/status?nodes=false" };
  const unauthorized = new HttpError({ ...request, status: 401, statusText: "Unauthorized" });
  const refused = new NetworkError({
    ...request,
    origin: "https://cc.example.com:8443",
    cause: Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:8443"), { code: "ECONNREFUSED" }),
  });
  const untrusted = new NetworkError({
    ...request,
    origin: "https://cc.example.com:8443",
    cause: Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }),
  });
  const timeout = new TimeoutError({ ...request, timeoutMs: 30_000 });

  it.each([
    [
      "a 401, credentials from stack config",
      unauthorized,
      undefined,
      "The password comes from stack config `cyclecloud:password` or CYCLECLOUD_PASSWORD, the username from stack config `cyclecloud:username` or CYCLECLOUD_USERNAME",
    ],
    [
      "a 401, credentials of the set",
      unauthorized,
      { username: "u", password: "p" },
      "The password comes from `connection.password`, the username from `connection.username`",
    ],
    [
      "a 403",
      new HttpError({ ...request, status: 403, statusText: "Forbidden" }),
      { username: "u" },
      "Check that the user (`connection.username`) may read cluster 'hpc' in CycleCloud, or use another user",
    ],
    [
      "a refused port",
      refused,
      { url: "https://cc.example.com:8443" },
      "The url comes from `connection.url`",
    ],
    [
      "an untrusted certificate",
      untrusted,
      undefined,
      "The CA comes from stack config `cyclecloud:caCert` or CYCLECLOUD_CA_CERT or stack config `cyclecloud:caCertPath` " +
        "or CYCLECLOUD_CA_CERT_PATH, `insecure` from stack config `cyclecloud:insecure` or CYCLECLOUD_INSECURE",
    ],
    [
      "a timeout",
      timeout,
      { timeoutSeconds: 5 },
      "The url comes from stack config `cyclecloud:url` or CYCLECLOUD_URL, the timeout from `connection.timeoutSeconds`",
    ],
    [
      "a connection setting the message names itself",
      new ConnectionConfigError("missing `password`"),
      undefined,
      "",
    ],
  ])("%s", (_name, error, connection, fix) => {
    expect(connectionFix(error, connection, "hpc")).toBe(fix);
  });

  it("leaves other failures (an unknown cluster, a 5xx) to the cluster's message", () => {
    expect(
      connectionFix(new HttpError({ ...request, status: 404, statusText: "Not Found" }), undefined, "hpc"),
    ).toBe(undefined);
    expect(connectionFix(new HttpError({ ...request, status: 503, statusText: "x" }), undefined, "hpc")).toBe(
      undefined,
    );
  });
});
