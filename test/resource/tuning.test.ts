import { describe, expect, it } from "vitest";
import { DEFAULT_CLIENT_SETTINGS } from "../../provider/client";
import { DEFAULT_TUNING, pollDelay, resolveTuning } from "../../provider/ops/tuning";

describe("resolveTuning", () => {
  it("is the production tuning without any variable: polls between 1 s and 10 s, the client's retries", () => {
    expect(resolveTuning({})).toEqual({
      pollMinMs: 1000,
      pollMaxMs: 10_000,
      retries: 4,
      retryBaseDelayMs: 500,
    });
    expect(DEFAULT_TUNING.retries).toBe(DEFAULT_CLIENT_SETTINGS.retries);
    expect(DEFAULT_TUNING.retryBaseDelayMs).toBe(DEFAULT_CLIENT_SETTINGS.retryBaseDelayMs);
  });

  it("reads each CYCLECLOUD_* variable that is a finite number >= 0", () => {
    expect(
      resolveTuning({
        CYCLECLOUD_POLL_MIN_MS: "20",
        CYCLECLOUD_POLL_MAX_MS: "50.5",
        CYCLECLOUD_RETRIES: "0",
        CYCLECLOUD_RETRY_BASE_DELAY_MS: "10",
      }),
    ).toEqual({ pollMinMs: 20, pollMaxMs: 50.5, retries: 0, retryBaseDelayMs: 10 });
  });

  it("ignores a value that is not a finite number >= 0, and a retry count that is not whole", () => {
    expect(
      resolveTuning({
        CYCLECLOUD_POLL_MIN_MS: "-1",
        CYCLECLOUD_POLL_MAX_MS: "ten",
        CYCLECLOUD_RETRIES: "1.5",
        CYCLECLOUD_RETRY_BASE_DELAY_MS: "Infinity",
      }),
    ).toEqual(DEFAULT_TUNING);
  });

  it('reads an empty variable as 0 (Number("")), as the provider always did', () => {
    expect(resolveTuning({ CYCLECLOUD_RETRIES: "" }).retries).toBe(0);
  });

  it("lets overrides win over the environment", () => {
    expect(resolveTuning({ CYCLECLOUD_RETRIES: "3" }, { retries: 1, pollMinMs: 5 })).toEqual({
      ...DEFAULT_TUNING,
      retries: 1,
      pollMinMs: 5,
    });
  });
});

describe("pollDelay", () => {
  it("is a tenth of the time waited, between the bounds", () => {
    expect([0, 5_000, 20_000, 60_000, 600_000].map((ms) => pollDelay(ms, DEFAULT_TUNING))).toEqual([
      1000, 1000, 2000, 6000, 10_000,
    ]);
  });

  it("never goes below the minimum, even when the maximum is set lower", () => {
    expect(pollDelay(600_000, { pollMinMs: 300, pollMaxMs: 100 })).toBe(300);
  });
});
