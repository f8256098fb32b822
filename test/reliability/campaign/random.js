// @ts-check
"use strict";

/**
 * mulberry32: a small seeded PRNG, so a seed replays the same campaign.
 * @param {number} seed
 */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /**
     * @param {number} min
     * @param {number} max
     */
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    /**
     * @template T
     * @param {readonly T[]} list not empty
     * @returns {T}
     */
    pick: (list) => {
      const item = list[Math.floor(next() * list.length)];
      if (item === undefined) throw new Error("pick from an empty list");
      return item;
    },
    /**
     * @template T
     * @param {readonly (readonly [T, number])[]} pairs items and weights, not empty
     * @returns {T}
     */
    weighted: (pairs) => {
      const total = pairs.reduce((sum, [, w]) => sum + w, 0);
      let r = next() * total;
      for (const [item, w] of pairs) {
        r -= w;
        if (r < 0) return item;
      }
      const last = pairs[pairs.length - 1];
      if (last === undefined) throw new Error("a weighted pick from an empty list");
      return last[0];
    },
  };
}

module.exports = { prng };
