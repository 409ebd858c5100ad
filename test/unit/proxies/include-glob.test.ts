import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { componentPattern, expandGlob, hasGlob } from '../../../src/inventory/sources/proxies/include-glob.js';
import { tempDir, writeFile } from '../../helpers/pki.js';

describe('include globs', () => {
  it('matches fnmatch patterns: *, ?, classes, negated classes, escapes; no braces', () => {
    expect(componentPattern('*.conf').test('a.conf')).toBe(true);
    expect(componentPattern('*.conf').test('a.conf.bak')).toBe(false);
    expect(componentPattern('site?.conf').test('site1.conf')).toBe(true);
    expect(componentPattern('[ab]*').test('beta')).toBe(true);
    expect(componentPattern('[!ab]*').test('beta')).toBe(false);
    expect(componentPattern('\\*').test('*')).toBe(true);
    expect(componentPattern('{a,b}.conf').test('a.conf')).toBe(false);
    expect(hasGlob('/etc/nginx/conf.d/x.conf')).toBe(false);
  });

  it('expands wildcards in several components, sorted, skipping dot files, and returns plain paths as given', async () => {
    const dir = tempDir();
    for (const f of ['sites/b/z.conf', 'sites/a/y.conf', 'sites/a/B.conf', 'sites/a/.hidden.conf', 'sites/c/n.txt']) writeFile(join(dir, f), '');
    expect(await expandGlob(join(dir, 'sites', '*', '*.conf'))).toEqual([
      join(dir, 'sites', 'a', 'B.conf'),
      join(dir, 'sites', 'a', 'y.conf'),
      join(dir, 'sites', 'b', 'z.conf'),
    ]);
    expect(await expandGlob(join(dir, 'sites', '*', 'missing'))).toEqual([]);
    expect(await expandGlob(join(dir, 'none', '*.conf'))).toEqual([]);
    expect(await expandGlob(join(dir, 'plain.conf'))).toEqual([join(dir, 'plain.conf')]);
  });
});
