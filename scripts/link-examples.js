// Links examples/node_modules/pulumi-cyclecloud to this working tree, so the example programs
// (and the root Pulumi.yaml, which runs examples/quickstart) import the library by its package
// name without an install. Run by `npm run build`; the link is not tracked by git.
// @ts-check
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const link = path.join(root, "examples", "node_modules", "pulumi-cyclecloud");
fs.mkdirSync(path.dirname(link), { recursive: true });
fs.rmSync(link, { force: true, recursive: true });
fs.symlinkSync(path.relative(path.dirname(link), root), link, "dir");
