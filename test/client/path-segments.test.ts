/**
 * A name that would walk the URL (`.` or `..`, which `encodeURIComponent` leaves as they are and URL
 * normalisation resolves) is refused by every client method that puts it in the path, before any
 * request (issue 24 item 2; `check` refuses it first, this is defence in depth).
 */
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BASE_URL, makeClient } from "./fixtures";

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});
afterAll(() => {
  nock.enableNetConnect();
});

const walks = (name: string, value: string) =>
  new TypeError(
    `\`${name}\` must not be ${JSON.stringify(value)}: as a URL path segment it addresses another endpoint`,
  );

describe("CycleCloudClient path segments", () => {
  for (const value of [".", ".."]) {
    it(`refuses the cluster ${JSON.stringify(value)} in each method without a request`, async () => {
      // Catch-all interceptors: any request the client sent would be answered and counted.
      const requests: string[] = [];
      const scope = nock(BASE_URL).persist().get(/.*/).reply(200, {}).post(/.*/).reply(202, {});
      scope.on("request", (req: { method: string; path: string }) =>
        requests.push(`${req.method} ${req.path}`),
      );
      const { client } = makeClient();
      const ids = { ids: ["n-1"] };
      await expect(client.getClusterStatus(value)).rejects.toEqual(walks("cluster", value));
      await expect(client.listNodes(value)).rejects.toEqual(walks("cluster", value));
      await expect(client.createNodes(value, { requestId: "r", sets: [] })).rejects.toEqual(
        walks("cluster", value),
      );
      await expect(client.terminateNodes(value, ids)).rejects.toEqual(walks("cluster", value));
      await expect(client.deallocateNodes(value, ids)).rejects.toEqual(walks("cluster", value));
      await expect(client.startNodes(value, ids)).rejects.toEqual(walks("cluster", value));
      await expect(client.shutdownNodes(value, ids)).rejects.toEqual(walks("cluster", value));
      await expect(client.removeNodes(value, ids)).rejects.toEqual(walks("cluster", value));
      await expect(client.scale(value, "ondemand", { totalNodeCount: 1 })).rejects.toEqual(
        walks("cluster", value),
      );
      await expect(client.scale("hpc", value, { totalNodeCount: 1 })).rejects.toEqual(
        walks("nodearray", value),
      );
      await expect(client.getOperation(value)).rejects.toEqual(walks("id", value));
      expect(requests).toEqual([]);
    });
  }

  it("still sends a name that merely contains dots, encoded as one segment", async () => {
    const scope = nock(BASE_URL).get("/clusters/..hpc/nodes").reply(200, { nodes: [] });
    const { client } = makeClient();
    await expect(client.listNodes("..hpc")).resolves.toEqual({ nodes: [] });
    scope.done();
  });
});
