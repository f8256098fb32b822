/** The package name and version sent in `X-Cycle-Client-Version` (kept equal to package.json by a test). */
export const PACKAGE_NAME = "pulumi-cyclecloud";
export const PACKAGE_VERSION = "0.1.0";
