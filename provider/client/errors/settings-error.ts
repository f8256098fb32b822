import { CycleCloudError, brandClass, hasBrand } from "./cyclecloud-error";

const SETTINGS_ERROR_BRAND = Symbol.for("pulumi-cyclecloud.SettingsError");

/** The client settings are invalid: each issue names the option in backticks and the fix. */
export class SettingsError extends CycleCloudError {
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    super(`Invalid CycleCloud client settings: ${issues.join("; ")}`);
    this.issues = issues;
  }
}
brandClass(SettingsError, SETTINGS_ERROR_BRAND);

/** Whether `value` is a `SettingsError`, also one from another copy of this package. */
export function isSettingsError(value: unknown): value is SettingsError {
  return value instanceof SettingsError || hasBrand(value, SETTINGS_ERROR_BRAND);
}
