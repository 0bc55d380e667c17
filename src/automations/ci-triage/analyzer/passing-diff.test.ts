import { describe, expect, it } from 'vitest';
import { buildPassingFilter, linesAbsentFromPassing } from './passing-diff.js';

describe('linesAbsentFromPassing', () => {
  it('reports only the lines the passing run did not print, after normalising volatile parts', async () => {
    const passing = [
      '2024-03-01T10:00:01.1234567Z ##[group]Run npm test',
      '2024-03-01T10:00:02.1234567Z > jest --ci',
      '2024-03-01T10:00:09.7654321Z Tests:       12 passed, 12 total',
      '2024-03-01T10:00:09.7654321Z Time:        4.21 s',
      '2024-03-01T10:00:09.9Z Cache saved to /tmp/cache-8f3a2b1c9d0e/x.tgz',
    ].join('\n');
    const failing = [
      '2024-03-05T18:31:44.0000001Z ##[group]Run npm test',
      '2024-03-05T18:31:45.0000001Z > jest --ci',
      '2024-03-05T18:31:52.0000001Z   ● math › adds',
      '2024-03-05T18:31:52.0000001Z     Expected: 4',
      '',
      '2024-03-05T18:31:53.0000001Z Tests:       1 failed, 11 passed, 12 total',
      '2024-03-05T18:31:53.0000001Z Time:        5.87 s',
      '2024-03-05T18:31:53.5Z Cache saved to /tmp/cache-77aa01ff42de/x.tgz',
    ].join('\n');
    const filter = await buildPassingFilter(passing);
    expect(filter.lineCount).toBe(5);
    expect(await linesAbsentFromPassing(failing, filter)).toEqual([
      [3, 4],
      [6, 6],
    ]);
  });

  it('finds nothing new when the two logs differ only in timestamps, durations, hashes and numbers', async () => {
    const a = 'Building 3f9a2c1e7b on host 10.0.0.12\nDone in 12.5s\n';
    const b = 'Building 9d8c7b6a5f on host 10.0.0.47\nDone in 9.0s\n';
    expect(await linesAbsentFromPassing(b, await buildPassingFilter(a))).toEqual([]);
  });
});
