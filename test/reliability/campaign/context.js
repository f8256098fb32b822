// @ts-check
"use strict";
/**
 * What every part of a campaign run shares: the report, the trace, the emulator and its admin API,
 * and the checks any part makes (a violation, a secret, a state Pulumi cannot store).
 */

const { PASSWORD } = require("./settings");

/** @typedef {import("./types").Report} Report */
/** @typedef {import("../../../emulator").startEmulator} StartEmulator */

/**
 * Paths of `undefined` values (Pulumi's Struct conversion rejects them).
 * @param {unknown} value
 * @returns {string[]}
 */
function undefinedPaths(value, at = "") {
  if (value === undefined) return [at || "(root)"];
  if (Array.isArray(value)) return value.flatMap((v, i) => undefinedPaths(v, `${at}[${i}]`));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => undefinedPaths(v, at ? `${at}.${k}` : k));
  }
  return [];
}

/**
 * @param {Report} report
 * @param {(line: string) => void} trace
 * @param {Awaited<ReturnType<StartEmulator>>} emu
 */
function createContext(report, trace, emu) {
  const basic = Buffer.from(`${emu.username}:${PASSWORD}`).toString("base64");
  /** @type {(name: string, outcome: string) => void} */
  const countCall = (name, outcome) => {
    const key = `${name} ${outcome}`;
    report.calls[key] = (report.calls[key] ?? 0) + 1;
  };
  const reported = new Set();
  /**
   * Counts a violation; one with a `key` (a node, a base) is counted once, when first seen.
   * @type {(kind: string, detail: string, key?: string) => void}
   */
  const violation = (kind, detail, key) => {
    if (key !== undefined) {
      if (reported.has(`${kind} ${key}`)) return;
      reported.add(`${kind} ${key}`);
    }
    report.violations[kind] = (report.violations[kind] ?? 0) + 1;
    if (report.violationDetails.length < 50)
      report.violationDetails.push({ step: ctx.currentStep, kind, detail });
    trace(`  VIOLATION ${kind}: ${detail}`);
  };
  /** @type {(where: string, text: unknown) => void} */
  const checkSecret = (where, text) => {
    if (typeof text === "string" && (text.includes(PASSWORD) || text.includes(basic))) {
      violation("secret", `password in ${where}`);
    }
  };
  /** @type {(where: string, state: unknown) => void} */
  const checkStruct = (where, state) => {
    const paths = undefinedPaths(state);
    if (paths.length > 0) violation("struct", `${where}: undefined at ${paths.slice(0, 5).join(", ")}`);
    checkSecret(`${where} state`, JSON.stringify(state));
  };

  /**
   * An admin call; a 404 is returned, other failures throw.
   * @param {string} method
   * @param {string} route
   * @param {unknown} [body]
   * @returns {Promise<{ status: number; json: any }>} the answer as the route defines it
   */
  async function adminCall(method, route, body) {
    const response = await globalThis.fetch(`${emu.adminUrl}${route}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }),
    });
    const json = await response.json();
    if (response.status >= 300 && response.status !== 404) {
      throw new Error(`admin ${method} ${route} answered ${response.status}: ${JSON.stringify(json)}`);
    }
    return { status: response.status, json };
  }
  const ctx = {
    report,
    trace,
    emu,
    basic,
    /** The step being checked (violations are reported under it). */
    currentStep: 0,
    /** Whether the last deployment succeeded: the cluster and state were in order before this step. */
    lastDeploymentOk: true,
    countCall,
    violation,
    checkSecret,
    checkStruct,
    adminCall,
  };
  return ctx;
}

/** @typedef {ReturnType<typeof createContext>} Context */

module.exports = { createContext };
