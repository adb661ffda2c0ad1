// The bench harness others build on (bench/lib.ts): ratios, statistics and interleaving.
import { describe, expect, it } from 'vitest';
import { gbps, measure, measurePair, result } from '../../bench/lib.js';

describe('bench/lib', () => {
  it('result() computes ratio = value / baseline', () => {
    expect(result('x', 3, 'GB/s', 2)).toEqual({
      name: 'x',
      value: 3,
      unit: 'GB/s',
      baseline: 2,
      ratio: 1.5,
    });
    expect(result('x', 3, 'ms', 0).ratio).toBe(0);
    expect(gbps(2e9, 2)).toBe(1);
  });

  it('measurePair interleaves a and b, alternating which goes first', async () => {
    const order: string[] = [];
    const [a, b] = await measurePair(
      () => order.push('a'),
      () => order.push('b'),
      { runs: 4, warmup: 1 },
    );
    expect(order).toEqual(['a', 'b', 'a', 'b', 'b', 'a', 'a', 'b', 'b', 'a']);
    expect(a.samples).toHaveLength(4);
    expect(b.samples).toHaveLength(4);
  });

  it('min statistic picks the smallest sample; median the middle one', async () => {
    const [m] = await measurePair(
      () => undefined,
      () => undefined,
      { runs: 5, stat: 'min' },
    );
    expect(m.seconds).toBe(Math.min(...m.samples));
    const med = await measure(() => undefined, { runs: 5 });
    expect(med.seconds).toBe([...med.samples].sort((x, y) => x - y)[2]);
  });
});
