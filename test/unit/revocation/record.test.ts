/** Drill and revocation records in the state directory (src/revocation/record.ts). */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordId, writeRecord } from '../../../src/revocation/record.js';
import { tempDir } from '../../helpers/pki.js';

describe('writeRecord', () => {
  it('creates the directory and writes the record and latest.json with the same JSON', async () => {
    const dir = join(tempDir('certfleet-record-'), 'state', 'drills');
    const record = { schemaVersion: 1, id: '2026-11-22T12-00-00-123Z', certificates: [{ name: 'www', secondsToReplace: 12.5 }], nested: { share: 0.667 } };
    await writeRecord(join(dir, `${record.id}.json`), record, join(dir, 'latest.json'));

    const written = readFileSync(join(dir, `${record.id}.json`), 'utf8');
    expect(written.endsWith('\n')).toBe(true);
    expect(JSON.parse(written)).toEqual(record);
    expect(readFileSync(join(dir, 'latest.json'), 'utf8')).toBe(written);
    // Records name certificates, not keys, but the state directory stays private all the same.
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir).sort()).toEqual([`${record.id}.json`, 'latest.json']);
  });

  it('writes no latest.json unless asked, and leaves no temp files', async () => {
    const dir = join(tempDir('certfleet-record-'), 'revocations');
    await writeRecord(join(dir, 'a.json'), { revoked: 2 });
    expect(readdirSync(dir)).toEqual(['a.json']);
    expect(JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8'))).toEqual({ revoked: 2 });
  });

  it('keeps every record and points latest.json at the newest', async () => {
    const dir = join(tempDir('certfleet-record-'), 'drills');
    const latest = join(dir, 'latest.json');
    await writeRecord(join(dir, 'first.json'), { n: 1 }, latest);
    await writeRecord(join(dir, 'second.json'), { n: 2 }, latest);
    expect(JSON.parse(readFileSync(join(dir, 'first.json'), 'utf8'))).toEqual({ n: 1 });
    expect(JSON.parse(readFileSync(latest, 'utf8'))).toEqual({ n: 2 });
    expect(readdirSync(dir).sort()).toEqual(['first.json', 'latest.json', 'second.json']);
  });

  it('rewrites a record of the same name whole', async () => {
    const path = join(tempDir('certfleet-record-'), 'r', 'x.json');
    await writeRecord(path, { certificates: Array.from({ length: 50 }, (_, i) => ({ name: `c${i}` })) });
    await writeRecord(path, { certificates: [] });
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
