// @ts-check
"use strict";
/**
 * The invariants checked after each step (see campaign.js): every set in state refreshed and held
 * against the emulator's node list (orphan, ghost, shared, foreign, overshoot, duplicate, drift,
 * shortfall, leftover, refresh), the spread set's placement, nothing lost by a good deployment,
 * and what a rename kept.
 */

const { checkPlacementGroups } = require("./placement-groups");
const { DEALLOCATED, HEALTHY, LEAVING, baseOf } = require("./node-status");
const { errorText } = require("./messages");
const { DIST, SPREAD_SLOT } = require("./settings");

/** @type {{ deriveBaseRequestId: (identity: string, spec: Record<string, unknown>, replacedBase?: string) => string }} */
const { deriveBaseRequestId } = require(`${DIST}/provider/core/request-id`);
/** @type {readonly string[]} */
const REPLACE_KEYS = require(`${DIST}/provider/core/inputs`).REPLACE_KEYS;

/** @typedef {import("./types").Resource} Resource */
/** @typedef {import("./types").SetState} SetState */
/** @typedef {import("./types").StepResult} StepResult */
/** @typedef {import("./types").Rename} Rename */
/** @typedef {import("./context").Context} Context */
/** @typedef {import("./model").Model} Model */
/** @typedef {import("./engine").Engine} Engine */
/** @typedef {import("./faults").Faults} Faults */

/**
 * @param {Context} ctx
 * @param {Model} model
 * @param {number} setCount
 * @param {Engine} engine
 * @param {Faults} faults
 */
function createInvariants(ctx, model, setCount, engine, faults) {
  const { report, emu, violation } = ctx;
  const { program, everAsked, label, liveResource, isDeclared } = model;

  /** @param {StepResult} result */
  async function verify(result) {
    await faults.settleFaults();
    await engine.freshProcess();
    /** @type {Map<string, Resource[]>} */
    const owned = new Map();
    /** @type {Map<Resource, SetState>} */
    const refreshed = new Map();
    for (const r of model.resources) {
      const read = await engine.call("verify-read", () => engine.provider.read(r.id, r.state));
      if (!read.ok) {
        violation("refresh", `${label(r)}: ${errorText(read.error)}`);
        continue;
      }
      refreshed.set(r, read.value.props);
      report.largestRequestIds = Math.max(report.largestRequestIds, read.value.props.requestIds.length);
      for (const n of read.value.props.nodes) {
        const holders = owned.get(n.id) ?? [];
        const first = holders[0];
        if (first) {
          violation(
            "shared",
            `${n.name} (${n.id}) is held by ${label(r)} and by ${label(first)}` +
              `${first.pendingDelete || r.pendingDelete ? ", one of them pending deletion" : ""}`,
            n.id,
          );
        }
        owned.set(n.id, [...holders, r]);
      }
    }
    model.lastOwners = owned;
    model.lastRefreshed = refreshed;
    const all = emu.nodes();
    let created = 0;
    for (const n of all) {
      if (faults.foreign.has(n.record.NodeId) || faults.seenNodeIds.has(n.record.NodeId)) continue;
      faults.seenNodeIds.add(n.record.NodeId);
      created += 1;
    }
    faults.armedFailures = Math.max(0, faults.armedFailures - created);
    const byId = new Map(all.map((n) => [n.record.NodeId, n]));
    const live = all.filter((n) => !LEAVING.has(n.record.Status));

    for (const [r, props] of refreshed) {
      for (const n of props.nodes) {
        const node = byId.get(n.id);
        if (!node || LEAVING.has(node.record.Status)) {
          violation(
            "ghost",
            `${label(r)} holds ${n.name} (${n.id}), which the cluster ${node ? `is ${node.record.Status}` : "does not have"}`,
            n.id,
          );
        } else if (baseOf(node.requestId) !== r.id) {
          violation(
            "shared",
            `${label(r)} holds ${n.name} (${n.id}), made under request id ${node.requestId}, not under its own base`,
            `${n.id} ${r.id}`,
          );
        }
      }
    }
    // Sets of different identities never share a base, derived or from an explicit `requestId`.
    for (const [i, r] of model.resources.entries()) {
      const twin = model.resources
        .slice(0, i)
        .find((x) => x.id === r.id && x.inputs.identity !== r.inputs.identity);
      if (twin) {
        violation(
          "shared",
          `${label(r)} (identity ${r.inputs.identity}) and ${label(twin)} (identity ${twin.inputs.identity}) share base request id ${r.id}`,
          r.id,
        );
      }
    }
    for (const id of faults.foreign) {
      const node = byId.get(id);
      if (!node || LEAVING.has(node.record.Status)) {
        violation(
          "faults.foreign",
          `node ${id} that the campaign did not make is ${node ? node.record.Status : "gone"}`,
        );
        faults.foreign.delete(id);
      }
    }
    for (const n of live) {
      if (!owned.has(n.record.NodeId) && !faults.foreign.has(n.record.NodeId)) {
        violation(
          "orphan",
          `${n.record.Name} (${n.record.Status}, request ${n.requestId}) is held by no set in state` +
            ` (sets in state: ${model.resources.map((r) => `${label(r)}${r.pendingDelete ? " pending-delete" : ""}`).join(", ") || "none"})`,
          n.record.NodeId,
        );
      }
    }
    for (let slot = 0; slot < setCount; slot++) {
      const r = liveResource(slot);
      const spec = program[slot];
      // Sets of one name share their base request id when it is explicit (old and new during a
      // replacement): the bound is per set sharing it.
      const bases = new Map();
      for (const x of model.resources.filter((x) => x.slot === slot))
        bases.set(x.id, (bases.get(x.id) ?? 0) + 1);
      for (const [base, sets] of bases) {
        const healthy = live.filter(
          (n) => baseOf(n.requestId) === base && HEALTHY.has(n.record.Status),
        ).length;
        const bound = (everAsked[slot] ?? 0) * sets;
        if (healthy > bound) {
          violation(
            "overshoot",
            `slot ${slot} (${base}) has ${healthy} healthy nodes; it was never asked for more than ${bound}`,
            base,
          );
        }
      }
      if (!result.ok || result.refresh || !r || !spec) continue;
      const all = live.filter((n) => baseOf(n.requestId) === r.id);
      // The warm pool is the set's but not of its `count`: it may hold up to what it was asked for.
      const mine = all.filter((n) => !DEALLOCATED.has(n.record.Status));
      if (mine.length > spec.count || all.length > Math.max(spec.count, everAsked[slot] ?? 0)) {
        violation(
          "duplicate",
          `${spec.name} of slot ${slot} (${r.id}) declares count ${spec.count} but ${mine.length} active and ${all.length - mine.length} deallocated live nodes exist after a successful step`,
        );
      }
      const drifted = mine.filter(
        (n) =>
          n.record.MachineType !== spec.machineType ||
          (spec.rev > 0 && n.record.Tags?.rev !== String(spec.rev)),
      );
      if (drifted.length > 0) {
        violation(
          "drift",
          `${spec.name} of slot ${slot} (${r.id}) declares ${spec.machineType}${spec.rev > 0 ? ` with Tags.rev ${spec.rev}` : ""} but holds ` +
            drifted
              .map(
                (n) =>
                  `${n.record.Name} (${n.record.MachineType}, Tags ${JSON.stringify(n.record.Tags ?? {})})`,
              )
              .join(", "),
        );
      }
      if (result.operated.has(slot)) {
        const ready = mine.filter((n) => n.record.Status === "Ready").length;
        const active = r.state.nodes.filter((n) => !DEALLOCATED.has(n.status)).length;
        if (ready !== spec.count || active !== spec.count) {
          const others = mine.filter((n) => n.record.Status !== "Ready");
          violation(
            "shortfall",
            `${spec.name} of slot ${slot} (${r.id}) succeeded with ${ready} ready nodes in the cluster and ${active} active in state for count ${spec.count}` +
              (others.length > 0
                ? ` (not ready: ${others.map((n) => `${n.record.Name} ${n.record.Status}`).join(", ")})`
                : ""),
          );
        }
      }
    }
    if (result.ok && !result.refresh) {
      for (const r of model.resources) {
        if (r.pendingDelete || !isDeclared(r)) {
          violation("leftover", `${label(r)} is still in state after a successful deployment removed it`);
        }
      }
    }
  }

  /**
   * What the spread set held at the last verification, with the statuses its nodes have now
   * (taken before a deployment, after the step's faults).
   * @returns {import("./placement-groups").HeldBefore | undefined}
   */
  function spreadHeldBefore() {
    const r = liveResource(SPREAD_SLOT);
    const props = r && model.lastRefreshed.get(r);
    if (!r || !props) return undefined;
    const byId = new Map(emu.nodes().map((n) => [n.record.NodeId, n.record]));
    /** @type {(id: string) => { status: string; group: string | undefined }} */
    const seen = (id) => {
      const record = byId.get(id);
      return { status: record?.Status ?? "gone", group: record?.PlacementGroupId ?? undefined };
    };
    return { resource: r, nodes: new Map(props.nodes.map((n) => [n.id, seen(n.id)])) };
  }

  /**
   * The placement checks of every refreshed spread set; those of a settled layout for the set the
   * program declares when the deployment created, updated or replaced it and succeeded.
   * @param {StepResult} result
   * @param {import("./placement-groups").HeldBefore | undefined} before
   * @param {Set<string>} liveBefore
   */
  function checkSpreadSets(result, before, liveBefore) {
    const byId = new Map(emu.nodes().map((n) => [n.record.NodeId, n]));
    for (const [r, props] of model.lastRefreshed) {
      const groups = r.inputs.placementGroups;
      if (groups?.size === undefined) continue;
      const settled =
        result.ok && !result.refresh && result.operated.has(r.slot) && liveResource(r.slot) === r
          ? { before, liveBefore, sameResource: before?.resource === r }
          : undefined;
      checkPlacementGroups({
        groups: { prefix: groups.prefix, size: groups.size },
        base: r.id,
        what: label(r),
        props,
        byId,
        settled,
        violation,
      });
    }
  }

  /**
   * After a successful deployment: no node that a set in the program held (at the last refresh) and
   * that was live when the deployment started is gone, unless the deployment changed that set.
   */
  /**
   * @param {StepResult} result
   * @param {Set<string>} liveBefore
   */
  function checkNothingLost(result, liveBefore) {
    const liveAfter = new Set(faults.liveNodes().map((n) => n.record.NodeId));
    for (const [id, holders] of model.lastOwners) {
      if (!liveBefore.has(id) || liveAfter.has(id)) continue;
      for (const r of holders) {
        if (
          model.resources.includes(r) &&
          !r.pendingDelete &&
          isDeclared(r) &&
          !result.touched?.has(r.slot)
        ) {
          violation("lost", `${label(r)} lost ${id} in a deployment that did not change it`, id);
        }
      }
    }
  }

  /**
   * After a step that renamed (or moved) a set that was in state: the plan kept its identity and
   * base request id and did not replace it, unless a replace-triggering change an earlier failed
   * step left pending was deployed with the rename (then it replaced the set under a new base of
   * the same identity, as that change alone would have); and when the set was left unchanged or the deployment
   * succeeded, it holds every node it held that is still live, and nothing not made under its base.
   */
  /**
   * @param {StepResult} result
   * @param {Rename} rename
   */
  function checkRenamed(result, rename) {
    const { slot, resource: r, identity, base, id, nodes } = rename;
    if (result.refused) return;
    const step = (result.plan ?? []).find((x) => x.slot === slot);
    if (!step) return; // the plan stopped at a diff: nothing was recorded
    const what = `${program[slot]?.name ?? "?"} of slot ${slot} (${id}), renamed`;
    if (step.current !== r) {
      violation("renamed", `${what}: the engine did not find its state through the alias`);
      return;
    }
    if (step.inputs.identity !== identity)
      violation("renamed", `${what}: check changed its identity ${identity} to ${step.inputs.identity}`);
    // A replace-triggering change left pending by a failed step is deployed with the rename: the
    // set is replaced for it (a new base, derived from the same identity), not for the rename.
    const replacedForPending = step.action === "replace" && rename.pendingReplace.length > 0;
    if (step.inputs.baseRequestId !== base && !replacedForPending)
      violation(
        "renamed",
        `${what}: check changed its base request id ${base} to ${step.inputs.baseRequestId}`,
      );
    if (step.action === "replace" && !replacedForPending)
      violation("renamed", `${what}: the rename replaced the set`);
    if (replacedForPending) {
      // The base the change alone would give: derived from the same identity, chaining the old base.
      const spec = Object.fromEntries(REPLACE_KEYS.map((key) => [key, step.inputs[key]]));
      const expected = deriveBaseRequestId(identity, spec, base);
      if (step.inputs.baseRequestId !== expected)
        violation(
          "renamed",
          `${what}: replaced for ${rename.pendingReplace.join(", ")} under ${step.inputs.baseRequestId}, not ${expected} (its identity's, chaining ${base})`,
        );
    }
    if (step.action === "replace" || !(step.action === "same" || result.ok)) return;
    if (!model.resources.includes(r) || r.pendingDelete) {
      violation("renamed", `${what}: no longer in state after the rename`);
      return;
    }
    if (r.urn !== program[slot]?.urn)
      violation("renamed", `${what}: state still under ${r.urn} after a ${step.action} step`);
    const props = model.lastRefreshed.get(r);
    if (!props) return; // its refresh failed: reported as such
    const held = new Set(props.nodes.map((n) => n.id));
    const byId = new Map(emu.nodes().map((n) => [n.record.NodeId, n]));
    /** @param {string} nodeId */
    const stillLive = (nodeId) => {
      const node = byId.get(nodeId);
      return node !== undefined && !LEAVING.has(node.record.Status);
    };
    const dropped = nodes.filter((nodeId) => stillLive(nodeId) && !held.has(nodeId));
    if (dropped.length > 0)
      violation(
        "renamed",
        `${what}: no longer holds ${dropped.join(", ")}, which it held and which are live`,
      );
    const gained = props.nodes.filter(
      (n) => !nodes.includes(n.id) && baseOf(byId.get(n.id)?.requestId) !== r.id,
    );
    if (gained.length > 0)
      violation(
        "renamed",
        `${what}: now holds ${gained.map((n) => `${n.name} (${n.id}, request ${byId.get(n.id)?.requestId})`).join(", ")}, not made under its base`,
      );
  }

  return { verify, spreadHeldBefore, checkSpreadSets, checkNothingLost, checkRenamed };
}

/** @typedef {ReturnType<typeof createInvariants>} Invariants */

module.exports = { createInvariants };
