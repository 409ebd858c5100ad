/**
 * `report` reads the state through the configured store (readStoredState): on the file store it
 * reads what readStateDir reads from the same directory, with the same messages for a missing or
 * malformed file; on another store the same validation, named by the store.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readStateDir, readStoredState } from '../../../src/report/state.js';
import { FileStateStore } from '../../../src/store/file-state-store.js';
import type { RunRecords, StateStore } from '../../../src/store/ports.js';
import { fixtureDir } from './fixture.js';

const fileStore = (dir: string) => new FileStateStore(dir);
const messageOf = async (p: Promise<unknown>) => ((await p.then(() => undefined, (e: unknown) => e)) as Error | undefined)?.message;
const syncMessageOf = (f: () => unknown) => {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
};

describe('readStoredState on the file store', () => {
  it('reads what readStateDir reads', async () => {
    expect(await readStoredState(fileStore(`${fixtureDir}state`))).toEqual(readStateDir(`${fixtureDir}state`));
    const empty = mkdtempSync(join(tmpdir(), 'certfleet-stored-state-'));
    expect(await readStoredState(fileStore(empty))).toEqual({});
  });

  it('says what is wrong in the same words, naming the same file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-stored-state-'));
    cpSync(`${fixtureDir}state`, dir, { recursive: true });
    const managed = JSON.parse(readFileSync(join(dir, 'managed.json'), 'utf8'));
    managed.certificates[1].schedule.renewAtFraction = 1.5;
    const cases: Array<[string, () => void]> = [
      ['a bad key', () => writeFileSync(join(dir, 'managed.json'), JSON.stringify(managed))],
      ['not JSON', () => writeFileSync(join(dir, 'managed.json'), '{"schemaVersion":1,')],
      ['a bad drill', () => {
        writeFileSync(join(dir, 'managed.json'), '{"schemaVersion":1,"certificates":[]}');
        mkdirSync(join(dir, 'drills'), { recursive: true });
        writeFileSync(join(dir, 'drills', 'latest.json'), '{"startedAt":"yesterday"}');
      }],
    ];
    for (const [what, damage] of cases) {
      damage();
      const expected = syncMessageOf(() => readStateDir(dir));
      expect(expected, what).toMatch(new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`));
      expect(await messageOf(readStoredState(fileStore(dir))), what).toBe(expected);
    }
  });
});

describe('readStoredState on another store', () => {
  const store = (summary: unknown, drill: unknown): Pick<StateStore, 'kind' | 'location' | 'runs'> => ({
    kind: 'postgres',
    location: 'postgres://db.example/certfleet',
    runs: { readSummary: () => Promise.resolve(summary), latestRecord: () => Promise.resolve(drill), recordLocation: (k: string, id: string) => `postgres:${k}/${id}` } as unknown as RunRecords,
  });

  it('validates the stored documents as the files are, naming the store', async () => {
    const summary = JSON.parse(readFileSync(`${fixtureDir}state/managed.json`, 'utf8'));
    const drill = JSON.parse(readFileSync(`${fixtureDir}state/drills/latest.json`, 'utf8'));
    expect(await readStoredState(store(summary, drill))).toEqual(readStateDir(`${fixtureDir}state`));
    expect(await readStoredState(store(undefined, undefined))).toEqual({});
    expect(await messageOf(readStoredState(store({ schemaVersion: 2 }, undefined)))).toMatch(/^the managed-certificates summary in postgres:\/\/db\.example\/certfleet: schemaVersion/);
    expect(await messageOf(readStoredState(store(undefined, { startedAt: 'yesterday' })))).toMatch(/^the latest drill record in postgres:\/\/db\.example\/certfleet: startedAt/);
  });
});
