// eslint-disable-next-line @typescript-eslint/ban-ts-comment -- see the next line
// @ts-nocheck -- serialized text: the module it loads is resolved in the provider process, not here
"use strict";
/**
 * The smallest provider that still loads the implementation when called: one function that
 * requires the package from the working directory (no self-reference) and hands over to `install`.
 * Only serialized (bench/lib/provider-text.js), never run.
 */
module.exports = {
  configure: function (req) {
    return require("pulumi-cyclecloud/internal/provider-impl").install(this, req);
  },
};
