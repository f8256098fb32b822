/**
 * The one sanitizer of server text (wire/util/server-text.ts): every hostile string as a
 * terminal line, a Markdown cell, Markdown text and JSON; and the message of a redirect.
 */
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  MAX_SERVER_TEXT_LENGTH,
  errorText,
  jsonText,
  markdownText,
  plainLines,
  plainText,
} from "../../wire/util/server-text";
import { HOSTILE } from "../fixtures/hostile-text";
import { BASE_URL, makeClient } from "./fixtures";

describe.each(HOSTILE)("$what", ({ text, plain, cell, json }) => {
  it("plainText: what a terminal line shows", () => {
    expect(plainText(text)).toBe(plain);
  });
  it("markdownText: what a Markdown table cell holds", () => {
    expect(markdownText(text, { table: true })).toBe(cell);
  });
  it("jsonText: the data kept, no raw control or format character written", () => {
    const written = jsonText({ text });
    expect(written).toBe(`{\n  "text": ${json}\n}`);
    expect(JSON.parse(written)).toEqual({ text });
    expect(written).not.toMatch(
      // eslint-disable-next-line no-control-regex -- the characters looked for
      /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/,
    );
  });
  it("errorText: an error's message as shown", () => {
    expect(errorText(new Error(text), { maxLength: MAX_SERVER_TEXT_LENGTH })).toBe(plain);
  });
});

describe("plainText details", () => {
  it("caps at the length given, with an ellipsis", () => {
    expect(plainText("abcdef", 3)).toBe("abc...");
    expect(plainText("abc", 3)).toBe("abc");
  });
  it("removes an unterminated OSC to the end, and tag characters", () => {
    expect(plainText("ok\u001b]0;title without end")).toBe("ok");
    expect(plainText("a\u{E0041}\u{E007F}b")).toBe("ab");
  });
  it("plainLines keeps line breaks, cleans each line and drops blank ones", () => {
    expect(plainLines("one\u001b[31m\r\n\n two\u202e \u2028three")).toBe("one\ntwo\nthree");
  });
  it("markdownText outside a table leaves | as is in the code span", () => {
    expect(markdownText("a | b")).toBe("`a | b`");
  });
});

describe("the message of a redirect", () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  const redirectTo = async (location: string): Promise<string> => {
    const scope = nock(BASE_URL).get("/clusters/hpc/nodes").reply(302, "", { Location: location });
    const { client } = makeClient();
    const error = await client.listNodes("hpc").then(
      () => undefined,
      (caught: unknown) => caught,
    );
    scope.done();
    return errorText(error);
  };
  const start = "CycleCloud answered 302 Found to GET /clusters/hpc/nodes without an error message";

  it("to http from https: names the target, calls it a downgrade and does not advise it", async () => {
    expect(await redirectTo("http://cyclecloud.example.com/login?next=/x")).toBe(
      `${start}; it redirects to http://cyclecloud.example.com, a downgrade from https to http, which is not followed: ` +
        "keep `url` on https and check that it is the address of the CycleCloud server",
    );
  });

  it("to another https address: names it, advises `url` only if it is the CycleCloud server", async () => {
    expect(await redirectTo("https://user:secret@other.example.com:8443/a")).toBe(
      `${start}; it redirects to https://other.example.com:8443, which is not followed (the credentials would go there): ` +
        "if that is the CycleCloud server, set `url` to that address",
    );
  });

  it("a Location with an escape in its host, or not http(s), gives no address to follow", async () => {
    expect(await redirectTo("javascript:alert(1)")).toBe(start);
    expect(await redirectTo("https://%1b[2J.example.com/x")).toBe(start);
    // The URL parser drops tabs: what is named is the host it would connect to.
    expect(await redirectTo("https://ev\til.example.com/x")).toBe(
      `${start}; it redirects to https://evil.example.com, which is not followed (the credentials would go there): ` +
        "if that is the CycleCloud server, set `url` to that address",
    );
  });
});
