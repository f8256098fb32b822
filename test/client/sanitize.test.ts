/**
 * The one sanitizer of server text (provider/client/server-text.ts): every hostile string as a
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
} from "../../provider/client/server-text";
import { BASE_URL, makeClient } from "./fixtures";

const BIG = "A".repeat(100 * 1024);

/** Each hostile string: as plain text, as a Markdown table cell, and as the JSON string written. */
export const HOSTILE: readonly { what: string; text: string; plain: string; cell: string; json: string }[] = [
  { what: "CSI clear screen", text: "a\u001b[2Jb", plain: "ab", cell: "ab", json: '"a\\u001b[2Jb"' },
  {
    what: "OSC window title",
    text: "x\u001b]0;pwned\u0007y",
    plain: "xy",
    cell: "xy",
    json: '"x\\u001b]0;pwned\\u0007y"',
  },
  {
    what: "forged error line",
    text: "ok\nerror: forged",
    plain: "ok error: forged",
    cell: "`ok error: forged`",
    json: '"ok\\nerror: forged"',
  },
  { what: "CR overwrite", text: "safe\rEVIL", plain: "safe EVIL", cell: "safe EVIL", json: '"safe\\rEVIL"' },
  { what: "C1 CSI", text: "a\u009b2Jb", plain: "ab", cell: "ab", json: '"a\\u009b2Jb"' },
  { what: "DEL", text: "a\u007fb", plain: "ab", cell: "ab", json: '"a\\u007fb"' },
  {
    what: "bidi override",
    text: "abc\u202etxt.exe",
    plain: "abctxt.exe",
    cell: "abctxt.exe",
    json: '"abc\\u202etxt.exe"',
  },
  { what: "bidi isolate", text: "a\u2066b\u2069", plain: "ab", cell: "ab", json: '"a\\u2066b\\u2069"' },
  {
    what: "zero-width",
    text: "ev\u200bil\u200d\ufeff",
    plain: "evil",
    cell: "evil",
    json: '"ev\\u200bil\\u200d\\ufeff"',
  },
  {
    what: "HTML image",
    text: "<img src=x onerror=alert(1)>",
    plain: "<img src=x onerror=alert(1)>",
    cell: "`<img src=x onerror=alert(1)>`",
    json: '"<img src=x onerror=alert(1)>"',
  },
  {
    what: "link",
    text: "[click](https://evil)",
    plain: "[click](https://evil)",
    cell: "`[click](https://evil)`",
    json: '"[click](https://evil)"',
  },
  {
    what: "image",
    text: "![i](https://evil/x.png)",
    plain: "![i](https://evil/x.png)",
    cell: "`![i](https://evil/x.png)`",
    json: '"![i](https://evil/x.png)"',
  },
  { what: "mention", text: "@everyone", plain: "@everyone", cell: "`@everyone`", json: '"@everyone"' },
  { what: "user mention", text: "hi @user", plain: "hi @user", cell: "`hi @user`", json: '"hi @user"' },
  {
    what: "autolink",
    text: "<https://evil>",
    plain: "<https://evil>",
    cell: "`<https://evil>`",
    json: '"<https://evil>"',
  },
  {
    what: "bare www link",
    text: "www.evil.com",
    plain: "www.evil.com",
    cell: "`www.evil.com`",
    json: '"www.evil.com"',
  },
  { what: "table break", text: "a | b", plain: "a | b", cell: "`a \\| b`", json: '"a | b"' },
  { what: "emphasis", text: "_x_ **y**", plain: "_x_ **y**", cell: "`_x_ **y**`", json: '"_x_ **y**"' },
  { what: "backticks", text: "a`b``c", plain: "a`b``c", cell: "```a`b``c```", json: '"a`b``c"' },
  { what: "edge backtick", text: "`x`", plain: "`x`", cell: "`` `x` ``", json: '"`x`"' },
  {
    what: "plain identifier",
    text: "Standard_F2s_v2",
    plain: "Standard_F2s_v2",
    cell: "Standard_F2s_v2",
    json: '"Standard_F2s_v2"',
  },
  {
    what: "100 KB",
    text: BIG,
    plain: `${"A".repeat(MAX_SERVER_TEXT_LENGTH)}...`,
    cell: `${"A".repeat(MAX_SERVER_TEXT_LENGTH)}...`,
    json: `"${BIG}"`,
  },
];

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
