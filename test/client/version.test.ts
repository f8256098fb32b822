import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLIENT_VERSION_HEADER_VALUE, CycleCloudClient } from "../../provider/client";
import type { FetchLike } from "../../provider/client";
import { PACKAGE_NAME, PACKAGE_VERSION } from "../../provider/version";

const packageJson: unknown = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8"));
const name: unknown = Reflect.get(Object(packageJson), "name");
const version: unknown = Reflect.get(Object(packageJson), "version");

describe("provider/version.ts", () => {
  it("matches the name and version in package.json", () => {
    expect({ name: PACKAGE_NAME, version: PACKAGE_VERSION }).toStrictEqual({ name, version });
  });

  it("is what the client sends in X-Cycle-Client-Version: NAME:VERSION of package.json", async () => {
    const sent: (string | undefined)[] = [];
    const fetch: FetchLike = (_url, init) => {
      sent.push(init.headers["X-Cycle-Client-Version"]);
      return Promise.resolve({
        status: 200,
        statusText: "OK",
        headers: { get: () => null },
        text: () => Promise.resolve('{"nodes":[]}'),
      });
    };
    const client = new CycleCloudClient({
      url: "https://cc.example.com",
      username: "u",
      password: "p",
      fetch,
    });

    await client.listNodes("hpc");

    const expected = `${String(name)}:${String(version)}`;
    expect({ constant: CLIENT_VERSION_HEADER_VALUE, sent }).toStrictEqual({
      constant: expected,
      sent: [expected],
    });
  });
});
