#!/usr/bin/env node
/**
 * Fault-injection campaign through the node set's dynamic provider (issue 5, part 1).
 *
 *   npm run test:reliability -- --seed 1 --steps 500      # build, then the long run
 *   node test/reliability/campaign.js --seed 1 --steps 80  # the short run CI makes (needs dist/)
 *
 * Options: `--seed N` (default 1), `--steps N` (default 200), `--sets N` node sets (default 4),
 * `--without KIND,...` (leave fault kinds out, e.g. to bisect a finding), `--trace` (one line per
 * step, and the failure messages by shape, on stderr), `--json` (the report as one JSON line, last).
 * `RELIABILITY_DIST=DIR` runs against another compiled tree than `dist/`.
 *
 * A seeded random program over several node sets (create, grow, shrink, change machine type or
 * `nodeAttributes` = replace, remove, re-run unchanged, refresh, rename or move with an alias, a new
 * set under a renamed set's old name, a set of the same name as another under another parent; the
 * last slot has an explicit `requestId`, the first shrinks by deallocating into a warm pool and grows
 * by starting it, `scaleDown: "deallocate"`, the second is spread over placement groups of 2 nodes,
 * `placementGroups: { prefix: "pg", size: 2 }`, so grows and shrinks cross groups) is deployed step by step the way the Pulumi engine does it:
 * a fresh provider process per command (configure), every check first (a refused plan changes
 * nothing), diffs, creates/updates/replacements in parallel (replacement = create-before-delete),
 * then, only when nothing failed, the deletes: replaced sets (also those left pending by an earlier
 * failed deployment, as Pulumi 3.248's GenerateDeletes does) and sets removed from the program.
 * On success the engine stores the outs;
 * on a NodeSetPartialFailure it stores `error.properties` (and re-runs update next time); on any
 * other error it keeps the old state (a create records nothing). A set left unchanged (diff: no
 * change) keeps its outputs and takes the new inputs, as a same step does.
 *
 * Identities are modelled as the engine now makes them: each node set comes with a
 * CycleCloudNodeSetIdentity whose create makes a random token (here from a second RNG of the seed,
 * so runs replay), and the set's input `identity` is `<URN first declared under>#<token>`. The
 * identity is created once the plan passes (even when the set's own create then fails), moves with
 * its set on a rename or move with `aliases` (its diff never changes), and is deleted with the set
 * once nothing in state refers to it; a set declared under a URN whose identity is still in state
 * gets that identity back (the same resource to the engine). Sets are told apart by URN (or alias):
 * a new set under a renamed set's old URN, or of another set's name under another parent (a
 * component), is another resource with a new identity. Renames and reuse of old URNs stay within
 * what the engine accepts: an old URN is reused only once nothing in state is left under it, and
 * its alias is then dropped from the program (Pulumi refuses one URN claimed twice).
 *
 * Before each step the emulator gets faults (on listings, create, terminate, status, and the warm
 * pool's deallocate and start): 500/502/503 with and without Retry-After, 429, answers
 * slower than the client timeout, connection resets before and after the server commits, partial
 * adds, nodes that fail to start (or never finish starting), nodes failed or removed out of band.
 *
 * After each step, with faults cleared, every set in state is refreshed (without storing the result,
 * so later steps still work from the engine's possibly stale state) and the invariants are checked
 * against the emulator's own node list:
 *   orphan      a live node of the campaign that no set in state holds after a refresh
 *   ghost       a node a refreshed state holds that the cluster does not have
 *   duplicate   after a successful deployment, more live active nodes of a set than its `count`, or
 *               more live nodes (warm pool included) than any count it was asked for
 *   overshoot   at any time, more healthy nodes of a set than any count it was asked for
 *   shortfall   after a successful deployment, a set it created, updated or replaced without exactly
 *               `count` ready nodes (deleting the set it replaced does not change it)
 *   shared      a node held by two sets in state at once (after a refresh); a set holding a node
 *               made under another base request id than its own; two sets of different identities
 *               (no explicit `requestId`) with the same base request id
 *   renamed     a rename or move with an alias that changed the set's identity or base request id,
 *               replaced it, or (when the set was left unchanged or the deployment succeeded) made
 *               it drop a node it held that is still live, or hold one not made under its base
 *   absorbed    a step failed although its only faults were transient (5xx, 429, slow, resets) and
 *               no route got more failing requests than the client retries, after a good deployment
 *   lost        a successful deployment terminated a node of a set in the program that it did not
 *               change (nor delete a set of its slot)
 *   placement   the spread set holds a node outside its groups `pg<i>`, or not made under request id
 *               `<base>.pg<i>-<n>` of its group; more than `size` healthy nodes in a group; a
 *               `placementGroupCounts` other than its nodes per group in the cluster; after a
 *               successful deployment that created, updated or replaced it: more than `size` live
 *               nodes in a group, a node it gained in group i while a group before i holds fewer
 *               than `size` (filled in order), or a Ready node it dropped from a group before the
 *               last group it still holds nodes in (emptied from the last)
 *   leftover    after a successful deployment, a set still in state that the program removed
 *   message     a failed call whose message does not name the operation and the cause; for a
 *               create, update, delete or read: a message not of the form `<name>: <operation>
 *               failed|did not finish: <cause>; <what became of the nodes and state>[. <next step>]`,
 *               or naming another operation than the call's, a name the set never had, or a cause
 *               that says nothing of what went wrong
 *   struct      state holding `undefined` (Pulumi cannot store it)
 *   secret      the password (or its Basic header) in any message, output, state or emulator log
 *   refresh     a refresh that fails with no fault injected
 *   drift       after a successful deployment, a node of a set that is not of its declared spec
 *               (machine type, the `nodeAttributes` tag)
 *   foreign     a node someone else made in the cluster (3 are made at the start) touched
 *   cleanup     nodes left after the final destroy
 * A violation about one node or one base (orphan, ghost, overshoot) is counted once, at the step it
 * is first seen. The exit code is 1 when any invariant was violated.
 */
// @ts-check
"use strict";
/*
 * The campaign's modules are in campaign/: options (the command line), settings, model (the
 * stack's state, program and identities), program-changes (a step's move), engine (`pulumi up` and
 * `pulumi refresh`), faults, invariants and placement-groups (the checks), run (a whole run),
 * report, messages, context, node-status, random, types.
 */

const { errorText, messageProblem } = require("./campaign/messages");
const { parseArgs } = require("./campaign/options");
const { formatReport } = require("./campaign/report");
const { runCampaign } = require("./campaign/run");

module.exports = { runCampaign, formatReport, messageProblem, parseArgs };

if (require.main === module) {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${errorText(error)}\n`);
    process.exit(2);
  }
  runCampaign(options).then(
    (report) => {
      process.stdout.write(`${formatReport(report)}\n`);
      if (options.trace) {
        process.stderr.write("failure messages by shape:\n");
        for (const [shape, n] of Object.entries(report.messages).sort((a, b) => b[1] - a[1])) {
          process.stderr.write(`  ${n} x ${shape}\n`);
        }
      }
      if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      process.exit((report.violationCount ?? 0) > 0 ? 1 : 0);
    },
    (error) => {
      process.stderr.write(`campaign crashed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(2);
    },
  );
}
