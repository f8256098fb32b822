import { describe, expect, it } from "vitest";
import { isLoopbackHost } from "../../wire/util/loopback";

describe("isLoopbackHost", () => {
  it.each<[string, boolean]>([
    ["localhost", true],
    ["::1", true],
    ["[::1]", true],
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["127.example.com", false],
    ["127.0.0.1.example.com", false],
    ["127.0.0", false],
    ["127.999.0.1", false],
    ["127.0.0.1.nip.io", false],
    ["localhost.example.com", false],
    ["cyclecloud.example.com", false],
    ["10.0.0.4", false],
    ["::2", false],
    ["0.0.0.0", false],
    ["", false],
  ])("%j is %s", (hostname, expected) => {
    expect(isLoopbackHost(hostname)).toBe(expected);
  });

  it.each<[string, boolean]>([
    ["http://localhost:9443/", true],
    ["http://[::1]:9443/", true],
    ["http://127.1:9443/", true],
    ["http://127.example.com:9443/", false],
  ])("reads the hostname URL gives for %s as %s", (url, expected) => {
    expect(isLoopbackHost(new URL(url).hostname)).toBe(expected);
  });
});
