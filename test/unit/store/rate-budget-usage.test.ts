/**
 * The file store's read of the CA rate budget (FileRateBudget.usage): what is taken in the window
 * ending now and when the oldest unit frees, per key, read only. The PostgreSQL twin is tested in
 * test/integration/rate-budget-postgres.test.ts.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FileRateBudget } from '../../../src/store/file-rate-budget.js';
import { tempDir } from '../../helpers/pki.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');
const CA = 'https://ca.example.test/directory';
const orders = { ca: CA, account: 'https://ca.example.test/acct/1', bucket: 'new-orders', limit: 300, windowMs: 3 * HOUR };

let dir: string;
let budget: FileRateBudget;

beforeEach(() => {
  dir = tempDir('certfleet-rate-budget-usage-');
  budget = new FileRateBudget(dir, (section) => section());
});

const takeAt = async (now: number, key: Partial<typeof orders> = {}) => expect(await budget.take({ ...orders, ...key, now })).toEqual({ granted: true });

describe('FileRateBudget.usage', () => {
  it('counts the units taken in the window ending now and says when the oldest frees', async () => {
    await takeAt(T0);
    await takeAt(T0 + HOUR);
    await takeAt(T0 + 2 * HOUR);
    const key = { ca: CA, account: orders.account, bucket: 'new-orders', windowMs: 3 * HOUR };
    expect(await budget.usage([key], T0 + 2 * HOUR)).toEqual([{ used: 3, oldestFreesAt: T0 + 3 * HOUR }]);
    // At T0 + 3 h the first has left the window (the same boundary take uses).
    expect(await budget.usage([key], T0 + 3 * HOUR)).toEqual([{ used: 2, oldestFreesAt: T0 + 4 * HOUR }]);
    expect(await budget.usage([key], T0 + 5 * HOUR + 1)).toEqual([{ used: 0 }]);
    // The window is the key's: over a week, all three count.
    expect(await budget.usage([{ ...key, windowMs: 168 * HOUR }], T0 + 5 * HOUR)).toEqual([{ used: 3, oldestFreesAt: T0 + 168 * HOUR }]);
  });

  it('answers each key in order, one account, every account of the CA (no account given), a bucket nobody took from', async () => {
    await takeAt(T0, { account: 'https://ca.example.test/acct/1' });
    await takeAt(T0 + 1, { account: 'https://ca.example.test/acct/1' });
    await takeAt(T0 + 2, { account: 'https://ca.example.test/acct/2' });
    await takeAt(T0 + 3, { account: '', bucket: 'registered-domain:example.com', limit: 50, windowMs: 168 * HOUR });
    await takeAt(T0 + 4, { ca: 'https://other.test/directory' });
    const usage = await budget.usage(
      [
        { ca: CA, account: 'https://ca.example.test/acct/2', bucket: 'new-orders', windowMs: 3 * HOUR },
        { ca: CA, bucket: 'new-orders', windowMs: 3 * HOUR },
        { ca: CA, account: '', bucket: 'registered-domain:example.com', windowMs: 168 * HOUR },
        { ca: CA, account: '', bucket: 'registered-domain:example.org', windowMs: 168 * HOUR },
      ],
      T0 + HOUR,
    );
    expect(usage).toEqual([
      { used: 1, oldestFreesAt: T0 + 2 + 3 * HOUR },
      { used: 3, oldestFreesAt: T0 + 3 * HOUR },
      { used: 1, oldestFreesAt: T0 + 3 + 168 * HOUR },
      { used: 0 },
    ]);
  });

  it('changes nothing: no file is made, none is pruned', async () => {
    const key = { ca: CA, account: orders.account, bucket: 'new-orders', windowMs: 3 * HOUR };
    expect(await budget.usage([key], T0)).toEqual([{ used: 0 }]);
    expect(existsSync(join(dir, 'rate-budget.json'))).toBe(false);
    await takeAt(T0);
    const before = readFileSync(join(dir, 'rate-budget.json'), 'utf8');
    expect(await budget.usage([key], T0 + 10 * HOUR)).toEqual([{ used: 0 }]);
    expect(readFileSync(join(dir, 'rate-budget.json'), 'utf8')).toBe(before);
  });

  it('reads without the lock take holds (a report needs only read access)', async () => {
    let locked = 0;
    const counting = new FileRateBudget(dir, (section) => {
      locked++;
      return section();
    });
    await counting.take({ ...orders, now: T0 });
    await counting.usage([{ ca: CA, bucket: 'new-orders', windowMs: 3 * HOUR }], T0);
    expect(locked).toBe(1);
  });

  it('an unreadable budget file reads as unused, as take treats it', async () => {
    const key = { ca: CA, bucket: 'new-orders', windowMs: 3 * HOUR };
    for (const text of ['{ not json', 'null', '[1, 2]', JSON.stringify({ [JSON.stringify([CA, 'a', 'new-orders'])]: 'x' })]) {
      writeFileSync(join(dir, 'rate-budget.json'), text);
      expect(await budget.usage([key], T0)).toEqual([{ used: 0 }]);
    }
  });
});
