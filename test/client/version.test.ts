import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLIENT_VERSION_HEADER_VALUE } from "../../provider/client";
import { PACKAGE_NAME, PACKAGE_VERSION } from "../../provider/version";

const packageJson: unknown = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8"));

describe("provider/version.ts", () => {
  it("matches the name and version in package.json", () => {
    expect({ name: PACKAGE_NAME, version: PACKAGE_VERSION }).toStrictEqual({
      name: Reflect.get(Object(packageJson), "name"),
      version: Reflect.get(Object(packageJson), "version"),
    });
  });

  it("is what the client sends in X-Cycle-Client-Version", () => {
    expect(CLIENT_VERSION_HEADER_VALUE).toBe(`${PACKAGE_NAME}:${PACKAGE_VERSION}`);
  });
});
