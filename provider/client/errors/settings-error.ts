import { CycleCloudError, brandedGuard } from "./cyclecloud-error";

/** The client settings are invalid: each issue names the option in backticks and the fix. */
export class SettingsError extends CycleCloudError {
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    super(`Invalid CycleCloud client settings: ${issues.join("; ")}`);
    this.issues = issues;
  }
}

/** Whether `value` is a `SettingsError`, also one from another copy of this package. */
export const isSettingsError = brandedGuard(SettingsError);
