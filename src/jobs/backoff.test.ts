import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './backoff.js';

describe('retryDelayMs', () => {
  it('draws from [0, base · 2^(attempt−1)) (full jitter)', () => {
    expect(retryDelayMs(1, 1000, undefined, () => 0)).toBe(0);
    expect(retryDelayMs(1, 1000, undefined, () => 0.999999)).toBe(999);
    expect(retryDelayMs(3, 1000, undefined, () => 0.5)).toBe(2000);
    for (let i = 0; i < 200; i++) {
      const d = retryDelayMs(4, 100);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(800);
    }
  });

  it('caps the ceiling (1 hour by default) and survives huge attempt numbers', () => {
    expect(retryDelayMs(40, 1000, undefined, () => 0.999999)).toBeLessThan(3600_000);
    expect(retryDelayMs(10_000, 1000, 5000, () => 0.5)).toBe(2500);
    expect(Number.isFinite(retryDelayMs(Number.MAX_SAFE_INTEGER, 1000))).toBe(true);
  });
});
