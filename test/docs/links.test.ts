/**
 * The documentation's links resolve where it is read (issue 23, item 6): in the repository and in
 * the installed package (node_modules/pulumi-cyclecloud), which holds only what package.json's
 * "files" lists. Every relative link of a Markdown file must name a file that exists, an anchor
 * must name a heading of its target, and a file the package ships must link only to files the
 * package ships (a link to examples/ or bench/ would be dead in node_modules).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, test } from "vitest";

const REPO = join(__dirname, "..", "..");
const FIXED = [
  "README.md",
  "emulator/README.md",
  "bench/README.md",
  "bench/reports.md",
  "test/reliability/README.md",
];

/** docs/**\/*.md and the fixed list, relative to the repository, those that exist. */
function markdownFiles(): string[] {
  const found: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".md")) found.push(relative(REPO, full));
    }
  };
  walk(join(REPO, "docs"));
  return [...FIXED.filter((file) => existsSync(join(REPO, file))), ...found.sort()];
}

/** Whether npm packs `file` (a path relative to the repository), from package.json's "files". */
function shipped(file: string): boolean {
  const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { files: string[] };
  if (file === "package.json" || /^(LICENSE|LICENCE)(\.|$)/.test(file)) return true;
  return pkg.files.some((entry) => file === entry || file.startsWith(`${entry}/`));
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The text of a Markdown file outside fenced code blocks. */
function prose(markdown: string): string {
  return markdown.replace(/^\s*```[\s\S]*?^\s*```/gm, "");
}

/** The anchors of a Markdown file's headings (repeated headings get -1, -2, ... as on GitHub). */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const [, heading = ""] of prose(markdown).matchAll(/^#{1,6}\s+(.*)$/gm)) {
    let anchor = slug(heading);
    for (let n = 1; anchors.has(anchor); n++) anchor = `${slug(heading)}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

/** The relative link targets of a Markdown file (not http(s), not mailto), as written. */
function linksOf(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)]
    .map(([, target = ""]) => target)
    .filter((target) => !/^[a-z]+:/i.test(target));
}

const FILES = markdownFiles();

describe("documentation links", () => {
  test("are found (the extraction still works)", () => {
    expect(FILES).toEqual(expect.arrayContaining(["README.md", "docs/README.md", "emulator/README.md"]));
    expect(linksOf(readFileSync(join(REPO, "README.md"), "utf8"))).toContain("docs/troubleshooting.md");
  });

  test.each(FILES)("%s: every relative link names an existing file and heading", (file) => {
    const problems: string[] = [];
    for (const target of linksOf(readFileSync(join(REPO, file), "utf8"))) {
      const [path = "", anchor] = target.split("#");
      const linked = path === "" ? file : normalize(join(dirname(file), path));
      if (!existsSync(join(REPO, linked))) {
        problems.push(`${target}: no file ${linked}`);
        continue;
      }
      if (anchor !== undefined && linked.endsWith(".md")) {
        if (!anchorsOf(readFileSync(join(REPO, linked), "utf8")).has(anchor)) {
          problems.push(`${target}: no heading #${anchor} in ${linked}`);
        }
      }
      if (shipped(file) && !shipped(linked)) {
        problems.push(`${target}: ${linked} is not in the package, where ${file} is read too`);
      }
    }
    expect(problems).toEqual([]);
  });

  test("the package ships the guide, docs/ and the emulator's README", () => {
    expect(
      ["README.md", "docs/README.md", "docs/troubleshooting.md", "emulator/README.md"].map(shipped),
    ).toEqual([true, true, true, true]);
    expect(
      ["examples/quickstart/index.ts", "bench/README.md", "test/reliability/README.md"].map(shipped),
    ).toEqual([false, false, false]);
  });
});

test("slug follows GitHub's anchors", () => {
  expect(
    [
      "HTTPS (`--tls`, `--cert`/`--key`, option `tls`)",
      "Admin surface: `/__emulator/`",
      "`getClusterStatus` and the capacity helpers",
      "Issue 16 item 5: memory of a refresh of 5,000 nodes (before/after)",
    ].map(slug),
  ).toEqual([
    "https---tls---cert--key-option-tls",
    "admin-surface-__emulator",
    "getclusterstatus-and-the-capacity-helpers",
    "issue-16-item-5-memory-of-a-refresh-of-5000-nodes-beforeafter",
  ]);
});
