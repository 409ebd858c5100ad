/**
 * kill -9 torture of the shipped deploy layouts (bounded here; `npm run bench:torture` runs more):
 * a process that does nothing but switch versions is killed at random moments, and after every
 * kill the certificate files and the key at the deploy paths must be one pair. The layout with a
 * home per directory failed this in about a third of the kills across two directories.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module shared with the bench, without type declarations
import { layouts, torture } from '../../bench/torture.mjs';
import { repoRoot } from '../helpers/cli.js';

const TRIALS = 12;

describe('kill -9 while deployed versions switch', () => {
  for (const layout of Object.keys(layouts as Record<string, unknown>)) {
    it(`never leaves a mismatched pair: ${layout}`, async () => {
      expect(existsSync(`${repoRoot}dist/renewal/deploy-files.js`), 'dist/ is missing: npm run build').toBe(true);
      const result = (await torture(layout, TRIALS)) as { trials: number; failures: number; problems: string[] };
      expect(result.problems).toEqual([]);
      expect(result.trials).toBe(TRIALS);
    }, 60_000);
  }
});
