/** The fixed fleet the report tests share: test/fixtures/report (made by make-fixtures.mjs), as of 2026-11-22. */
import { fileURLToPath } from 'node:url';
import { buildReport } from '../../../src/report/build.js';
import type { ReadinessReport } from '../../../src/report/model.js';
import { readInventoryFile } from '../../../src/report/read-inventory.js';
import { readStateDir } from '../../../src/report/state.js';
import { shippedTimeline } from '../../../src/policy/timeline.js';

export const fixtureDir = fileURLToPath(new URL('../../fixtures/report/', import.meta.url));
export const fixtureAsOf = new Date('2026-11-22T00:00:00Z');

export function fixtureReport(options: { state?: boolean; asOf?: Date } = {}): ReadinessReport {
  const inventory = readInventoryFile(`${fixtureDir}inventory.json`);
  const state = options.state === false ? {} : readStateDir(`${fixtureDir}state`);
  return buildReport({ inventory, ...state }, { asOf: options.asOf ?? fixtureAsOf, timeline: shippedTimeline() });
}
