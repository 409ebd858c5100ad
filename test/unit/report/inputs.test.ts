/** Reading what the report reads: saved inventories (JSON and NDJSON), the state directory, and the CI gate's flags. */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderInventory } from '../../../src/cli/render/inventory.js';
import { ConfigError, UsageError } from '../../../src/errors.js';
import type { InventoryResult } from '../../../src/inventory/model.js';
import { evaluateGate, parseMinScore } from '../../../src/report/gate.js';
import { parseInventory, readInventoryFile } from '../../../src/report/read-inventory.js';
import { readStateDir } from '../../../src/report/state.js';
import { fixtureDir, fixtureReport } from './fixture.js';

const inventoryText = readFileSync(`${fixtureDir}inventory.json`, 'utf8');

describe('saved inventory', () => {
  it('reads what `inventory --format json` and `--format ndjson` write, to the same result', () => {
    const fromJson = parseInventory(inventoryText, 'inv.json');
    const ndjson = [...renderInventory(fromJson, 'ndjson', { color: false, cwd: '/' })].join('');
    const fromNdjson = parseInventory(ndjson, 'inv.ndjson');
    expect(fromNdjson).toEqual(fromJson);
    expect(fromJson.certificates).toHaveLength(17);
  });

  it('names what is wrong with a file that is not an inventory', () => {
    expect(() => parseInventory('not json', 'x')).toThrow(ConfigError);
    expect(() => parseInventory('{"schemaVersion":2,"certificates":[]}', 'x')).toThrow(/schemaVersion 2/);
    const broken = JSON.parse(inventoryText) as InventoryResult;
    delete (broken.certificates[3] as Partial<InventoryResult['certificates'][number]>).notAfter;
    expect(() => parseInventory(JSON.stringify(broken), 'x')).toThrow(/certificates\[3\]\.notAfter/);
    expect(() => readInventoryFile('/nonexistent/inventory.json')).toThrow(UsageError);
  });
});

describe('state directory', () => {
  it('reads managed.json and drills/latest.json', () => {
    const state = readStateDir(`${fixtureDir}state`);
    expect(state.managed?.map((m) => m.name)).toEqual(['api', 'legacy', 'cdn', 'grafana', 'reports']);
    expect(state.drill?.certificates).toHaveLength(5);
  });

  it('missing files are fine (a report works from an inventory alone); a malformed one names the bad key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-state-'));
    expect(readStateDir(dir)).toEqual({});
    cpSync(`${fixtureDir}state`, dir, { recursive: true });
    const managed = JSON.parse(readFileSync(join(dir, 'managed.json'), 'utf8'));
    managed.certificates[1].schedule.renewAtFraction = 1.5;
    writeFileSync(join(dir, 'managed.json'), JSON.stringify(managed));
    expect(() => readStateDir(dir)).toThrow(/managed\.json: certificates\.1\.schedule\.renewAtFraction/);
    mkdirSync(join(dir, 'drills'), { recursive: true });
    writeFileSync(join(dir, 'managed.json'), '{"schemaVersion":1,"certificates":[]}');
    writeFileSync(join(dir, 'drills', 'latest.json'), '{"startedAt":"yesterday"}');
    expect(() => readStateDir(dir)).toThrow(/latest\.json: startedAt/);
  });
});

describe('CI gate', () => {
  const report = fixtureReport();

  it('parses --min-score N and DEADLINE=N, and rejects anything else', () => {
    expect(parseMinScore('80')).toEqual({ score: 80 });
    expect(parseMinScore('sc081-2029-47-days=60')).toEqual({ deadline: 'sc081-2029-47-days', score: 60 });
    for (const bad of ['101', 'abc', '-5', '=5', '80%']) expect(() => parseMinScore(bad), bad).toThrow(UsageError);
  });

  it('fails on a score below the threshold, on one deadline or all', () => {
    const lowest = Math.min(...report.deadlines.map((d) => d.score));
    expect(evaluateGate(report, { failOn: 'never', minScores: [{ score: lowest }] })).toEqual([]);
    expect(evaluateGate(report, { failOn: 'never', minScores: [{ score: lowest + 1 }] })).toHaveLength(report.deadlines.filter((d) => d.score === lowest).length);
    const d47 = report.deadlines.find((d) => d.id === 'sc081-2029-47-days')!;
    expect(evaluateGate(report, { failOn: 'never', minScores: [{ deadline: d47.id, score: d47.score + 1 }] })).toEqual([`sc081-2029-47-days scores ${d47.score}, below ${d47.score + 1}`]);
    expect(() => evaluateGate(report, { failOn: 'never', minScores: [{ deadline: 'br-2020-398-days', score: 1 }] })).toThrow(/not in this report/);
  });

  it('fails on findings at or above --fail-on', () => {
    expect(evaluateGate(report, { failOn: 'error', minScores: [] })[0]).toMatch(/^findings at or above error: expired \(1\), hostname-mismatch \(1\), key-file-permissions \(1\)$/);
    expect(evaluateGate(report, { failOn: 'never', minScores: [] })).toEqual([]);
    const clean = { ...report, findings: report.findings.filter((f) => f.severity === 'info') };
    expect(evaluateGate(clean, { failOn: 'warning', minScores: [] })).toEqual([]);
  });
});
