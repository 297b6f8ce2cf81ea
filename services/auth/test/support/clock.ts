import type { Clock } from '../../src/core/clock';

export type TestClock = Clock & { advance(ms: number): void };

/** A clock tests can move forward. */
export function createTestClock(start = Date.now()): TestClock {
  let now = start;
  return { now: () => new Date(now), advance: (ms) => (now += ms) };
}
