/** Drill and revocation records in the state directory (src/store/file-run-records.ts; ids from src/revocation/record.ts). */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordId } from '../../../src/revocation/record.js';
import { FileRunRecords } from '../../../src/store/file-run-records.js';
import { tempDir } from '../../helpers/pki.js';

const runs = (stateDir: string) => new FileRunRecords(stateDir, (section) => section());

describe('the file store writes run records', () => {
  it('creates the directory and writes the record and latest.json with the same JSON', async () => {
    const state = join(tempDir('certfleet-record-'), 'state');
    const dir = join(state, 'drills');
    const record = { schemaVersion: 1, id: '2026-11-22T12-00-00-123Z', certificates: [{ name: 'www', secondsToReplace: 12.5 }], nested: { share: 0.667 } };
    await runs(state).writeRecord('drill', record.id, record, { latest: true });
    expect(runs(state).recordLocation('drill', record.id)).toBe(join(dir, `${record.id}.json`));
    expect(await runs(state).latestRecord('drill')).toEqual(record);

    const written = readFileSync(join(dir, `${record.id}.json`), 'utf8');
    expect(written.endsWith('\n')).toBe(true);
    expect(JSON.parse(written)).toEqual(record);
    expect(readFileSync(join(dir, 'latest.json'), 'utf8')).toBe(written);
    // Records name certificates, not keys, but the state directory stays private all the same.
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir).sort()).toEqual([`${record.id}.json`, 'latest.json']);
  });

  it('writes no latest.json unless asked, and leaves no temp files', async () => {
    const state = tempDir('certfleet-record-');
    const dir = join(state, 'revocations');
    await runs(state).writeRecord('revocation', 'a', { revoked: 2 });
    expect(readdirSync(dir)).toEqual(['a.json']);
    expect(JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8'))).toEqual({ revoked: 2 });
  });

  it('keeps every record and points latest.json at the newest', async () => {
    const state = tempDir('certfleet-record-');
    const dir = join(state, 'drills');
    const latest = join(dir, 'latest.json');
    await runs(state).writeRecord('drill', 'first', { n: 1 }, { latest: true });
    await runs(state).writeRecord('drill', 'second', { n: 2 }, { latest: true });
    expect(JSON.parse(readFileSync(join(dir, 'first.json'), 'utf8'))).toEqual({ n: 1 });
    expect(JSON.parse(readFileSync(latest, 'utf8'))).toEqual({ n: 2 });
    expect(readdirSync(dir).sort()).toEqual(['first.json', 'latest.json', 'second.json']);
  });

  it('rewrites a record of the same name whole', async () => {
    const state = tempDir('certfleet-record-');
    const path = join(state, 'replacements', 'x.json');
    await runs(state).writeRecord('replacement', 'x', { certificates: Array.from({ length: 50 }, (_, i) => ({ name: `c${i}` })) });
    await runs(state).writeRecord('replacement', 'x', { certificates: [] });
    expect(existsSync(path)).toBe(true);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ certificates: [] });
  });
});

describe('recordId', () => {
  it('turns a time into a portable file name: no colons, no dots', () => {
    expect(recordId(new Date('2026-11-22T12:00:00.123Z'))).toBe('2026-11-22T12-00-00-123Z');
    const id = recordId(new Date());
    expect(id).not.toMatch(/[:./\\]/);
  });

  it('sorts in time order, down to the millisecond', () => {
    const times = [
      '2026-11-22T12:00:00.123Z',
      '2026-11-22T12:00:00.124Z',
      '2026-11-22T12:00:01.000Z',
      '2026-11-22T12:01:00.000Z',
      '2026-11-22T13:00:00.000Z',
      '2026-11-23T00:00:00.000Z',
      '2026-12-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
      '2030-02-28T09:59:59.999Z',
    ].map((t) => new Date(t));
    const shuffled = [times[4]!, times[8]!, times[0]!, times[6]!, times[2]!, times[7]!, times[1]!, times[5]!, times[3]!];
    const ids = shuffled.map(recordId).sort();
    expect(ids).toEqual(times.map(recordId));
    expect(new Set(ids).size).toBe(times.length);
  });
});
