import { describe, expect, it } from 'vitest';
import { updateLines } from '../../../src/store/summary-lines.js';

const previous = { schemaVersion: 1, generatedAt: 'then', certificates: [{ name: 'a', serial: '1' }, { name: 'b', serial: '2' }, { name: 'c', serial: '3' }] };

describe('updateLines', () => {
  it('the update sees only the lines in scope; its lines replace theirs in place, new ones go last, the rest are kept', () => {
    let seen: unknown;
    const next = updateLines(previous, ['b', 'd'], (p) => {
      seen = p;
      return { schemaVersion: 1, generatedAt: 'now', certificates: [{ name: 'd', serial: '4' }, { name: 'b', serial: '5' }] };
    });
    expect(seen).toEqual({ schemaVersion: 1, generatedAt: 'then', certificates: [{ name: 'b', serial: '2' }] });
    expect(next).toEqual({ schemaVersion: 1, generatedAt: 'now', certificates: [{ name: 'a', serial: '1' }, { name: 'b', serial: '5' }, { name: 'c', serial: '3' }, { name: 'd', serial: '4' }] });
  });

  it('a line in scope the update leaves out is dropped; with no summary yet the update gets undefined', () => {
    expect(updateLines(previous, ['a'], () => ({ certificates: [] }))).toEqual({ certificates: [{ name: 'b', serial: '2' }, { name: 'c', serial: '3' }] });
    let seen: unknown = 'unset';
    updateLines(undefined, ['a'], (p) => ((seen = p), { certificates: [] }));
    expect(seen).toBeUndefined();
  });
});
