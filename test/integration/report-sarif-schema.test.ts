/**
 * The SARIF report validated against the official SARIF 2.1.0 JSON schema (the copy Microsoft
 * ships in @microsoft/jest-sarif, schema id sarif-2.1.0-rtm.5) with ajv: what GitHub code
 * scanning and other consumers accept. The validator is shown to reject a broken log.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../src/cli/render/report.js';
import { fixtureReport } from '../unit/report/fixture.js';

const require = createRequire(import.meta.url);
const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

let validate: ValidateFunction;

beforeAll(() => {
  let path: string;
  try {
    path = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
  } catch {
    throw new Error('the SARIF 2.1.0 schema (npm package @microsoft/jest-sarif) is not installed: run npm test, which installs it');
  }
  const schema = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  // The schema is written for draft-04 ("id"); it uses nothing that differs in draft-07 (no boolean
  // exclusiveMinimum/Maximum), so ajv's draft-07 reads it the same once "id" is "$id".
  expect(JSON.stringify(schema)).not.toMatch(/exclusiveM(in|ax)imum/);
  const { $schema: _draft, id, ...rest } = schema;
  // One of its patterns ("language") is not valid with the u flag; JSON Schema patterns are ECMA-262 without it.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  validate = ajv.compile({ ...rest, $id: id } as Record<string, unknown>);
});

interface SarifLog {
  version?: string;
  runs: Array<{
    tool: { driver: { rules: Array<{ id: string }> } };
    results: Array<{ ruleId: string; ruleIndex: number; level: string; locations: unknown[] }>;
  }>;
}

function sarifOf(cwd: string): SarifLog {
  return JSON.parse([...renderReport(fixtureReport(), 'sarif', { color: false, cwd, toolVersion: '0.1.0' })].join(''));
}

describe('SARIF output', () => {
  it('is valid SARIF 2.1.0', () => {
    for (const cwd of ['/srv', '/', '/somewhere/else']) {
      const log = sarifOf(cwd);
      const ok = validate(log);
      expect(validate.errors ?? [], `cwd ${cwd}`).toEqual([]);
      expect(ok).toBe(true);
      expect(log.runs[0]!.results.length).toBeGreaterThan(10);
    }
  });

  it('every result names a rule of the run, and rules include every finding id and deadline', () => {
    const log = sarifOf('/srv');
    const rules = log.runs[0]!.tool.driver.rules.map((r) => r.id);
    for (const result of log.runs[0]!.results) {
      expect(rules).toContain(result.ruleId);
      expect(rules[result.ruleIndex]).toBe(result.ruleId);
      expect(result.locations.length).toBeGreaterThan(0);
    }
    expect(rules).toEqual(expect.arrayContaining(['expired', 'hostname-mismatch', 'key-file-permissions', 'deadline/sc081-2029-47-days']));
  });

  it('the validator rejects a broken log', () => {
    const log = sarifOf('/srv');
    delete log.version;
    log.runs[0]!.results[0]!.level = 'fatal';
    expect(validate(log)).toBe(false);
    expect(validate.errors!.length).toBeGreaterThanOrEqual(2);
  });
});
