// @ts-check
"use strict";
/** The campaign's report: its figures as they start, and as printed. */

const { OPERATIONS, RETRIES, TIMEOUT_SECONDS } = require("./settings");

/** @typedef {import("./types").Report} Report */

/**
 * @param {number} seed
 * @param {number} setCount
 * @returns {Report}
 */
function newReport(seed, setCount) {
  /** @type {Report} */
  const report = {
    seed,
    steps: 0,
    sets: setCount,
    outcome: { ok: 0, failed: 0, refusedByCheck: 0 },
    operations: Object.fromEntries(OPERATIONS.map((op) => [op, 0])),
    calls: {},
    faults: {},
    faultsHit: {},
    heals: 0,
    largestRequestIds: 0,
    retries: { client: 0, createResends: 0, adoptedAfterLostAnswer: 0, adoptedAfter409: 0 },
    requests: { total: 0 },
    violations: {},
    violationDetails: [],
    messages: {},
    durationSeconds: 0,
  };
  return report;
}

/** @param {Report} report */
function formatReport(report) {
  /** @param {Record<string, number>} record */
  const list = (record) =>
    Object.entries(record)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ") || "none";
  const lines = [
    `Reliability campaign: seed ${report.seed}, ${report.sets} node sets, client timeout ${TIMEOUT_SECONDS} s, ${RETRIES} retries`,
    `steps: ${report.steps} (ok ${report.outcome.ok}, failed ${report.outcome.failed}, refused by check ${report.outcome.refusedByCheck}), ` +
      `${report.heals} heal phases`,
    `operations: ${list(report.operations)}`,
    `provider calls: ${list(report.calls)}`,
    `faults injected by kind: ${list(report.faults)}`,
    `requests hit by a fault: ${list(report.faultsHit)}`,
    `retries made: ${report.retries.client} client retries, ${report.retries.createResends} create re-sends, ` +
      `${report.retries.adoptedAfterLostAnswer} adoptions after a lost answer, ${report.retries.adoptedAfter409} adoptions after 409`,
    `API requests: ${report.requests.total} (create ${report.requests.create}, nodes ${report.requests.nodes}, ` +
      `terminate ${report.requests.terminate}, deallocate ${report.requests.deallocate}, start ${report.requests.start}, ` +
      `status ${report.requests.status}); ` +
      `longest requestIds list in state: ${report.largestRequestIds}`,
    `invariant violations: ${report.violationCount}${(report.violationCount ?? 0) > 0 ? ` (${list(report.violations)})` : ""}`,
  ];
  for (const v of report.violationDetails.slice(0, 20)) lines.push(`  step ${v.step} ${v.kind}: ${v.detail}`);
  lines.push(`duration: ${report.durationSeconds} s`);
  return lines.join("\n");
}

module.exports = { newReport, formatReport };
