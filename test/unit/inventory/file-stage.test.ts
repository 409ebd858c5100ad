import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileReadResult } from '../../../src/inventory/sources/file-content.js';
import { runFileStage } from '../../../src/inventory/sources/file-stage.js';
import type { InventoryError } from '../../../src/inventory/model.js';
import { issue, tempDir, writeFile } from '../../helpers/pki.js';

async function stage(paths: string[], extraFiles: string[] = [], limits?: { maxFileBytes: number; maxSniffBytes: number }) {
  const results: FileReadResult[] = [];
  const errors: InventoryError[] = [];
  await runFileStage({
    paths, extraFiles, exclude: ['**/skipme/**'], passwords: [], workers: 0,
    ...(limits ? { limits } : {}),
    onResult: (r) => results.push(r), onError: (e) => errors.push(e),
  });
  const messages = [...errors, ...results.flatMap((r) => r.errors.map((message) => ({ source: r.path, message })))];
  return { results, errors: messages };
}

describe('file stage: the walk and the reads', async () => {
  const cert = await issue({ commonName: 'a.test', sans: ['a.test'] });

  it('finds certificates at any depth, with or without a telling extension, and skips everything else silently', async () => {
    const dir = tempDir();
    writeFile(join(dir, 'a/b/c/deep.pem'), cert.certPem);
    writeFile(join(dir, 'noext'), cert.certPem);
    writeFile(join(dir, 'README.md'), '# not a certificate\n');
    writeFile(join(dir, 'app.conf'), 'listen 443;\n');
    writeFile(join(dir, 'skipme/x.pem'), cert.certPem);
    const { results, errors } = await stage([dir]);
    expect(errors).toEqual([]);
    expect(results.map((r) => r.path.slice(dir.length)).sort()).toEqual(['/a/b/c/deep.pem', '/noext']);
  });

  it('ends a symlink loop instead of hanging, and follows good links once', async () => {
    const dir = tempDir();
    writeFile(join(dir, 'real/c.pem'), cert.certPem);
    symlinkSync(join(dir, 'real'), join(dir, 'real/loop')); // real/loop -> real
    symlinkSync(join(dir, 'real'), join(dir, 'alias'));
    symlinkSync(join(dir, 'missing.pem'), join(dir, 'dangling.pem'));
    symlinkSync(join(dir, 'self-a'), join(dir, 'self-b'));
    symlinkSync(join(dir, 'self-b'), join(dir, 'self-a'));
    const { results, errors } = await stage([dir]);
    expect(results).toHaveLength(1);
    expect(errors.map((e) => e.message)).toEqual(expect.arrayContaining([expect.stringMatching(/symlink loop/)]));
  });

  it('never reads a FIFO, and says so when one is named explicitly', async () => {
    const dir = tempDir();
    execFileSync('mkfifo', [join(dir, 'pipe.pem')]);
    writeFile(join(dir, 'ok.pem'), cert.certPem);
    const walked = await stage([dir]);
    expect(walked.results.map((r) => r.path)).toEqual([join(dir, 'ok.pem')]);
    const named = await stage([join(dir, 'pipe.pem')]);
    expect(named.errors[0]!.message).toMatch(/not a regular file/);
  });

  it('does not read a huge file whole', async () => {
    const dir = tempDir();
    writeFile(join(dir, 'huge.pem'), Buffer.alloc(3 * 1024 * 1024, 0x41));
    writeFile(join(dir, 'huge.bin'), Buffer.alloc(3 * 1024 * 1024, 0x41));
    const { results, errors } = await stage([dir], [], { maxFileBytes: 1024 * 1024, maxSniffBytes: 64 * 1024 });
    expect(errors).toEqual([{ source: join(dir, 'huge.pem'), message: '3.0 MiB: too large for a certificate file (limit 1.0 MiB); not read' }]);
    expect(results.every((r) => r.certificates.length === 0)).toBe(true);
  });

  it('reports a named path that is missing or not a certificate', async () => {
    const dir = tempDir();
    writeFile(join(dir, 'notes.txt'), 'hello');
    const { errors } = await stage([join(dir, 'nope'), join(dir, 'notes.txt')]);
    expect(errors).toEqual([
      { source: join(dir, 'nope'), message: 'no such file or directory' },
      { source: join(dir, 'notes.txt'), message: 'not a certificate: text with no PEM block in it' },
    ]);
  });

  it('reads a file once even when named by a proxy and found by the walk', async () => {
    const dir = tempDir();
    const path = writeFile(join(dir, 'c.pem'), cert.certPem);
    const { results } = await stage([dir], [path]);
    expect(results).toHaveLength(1);
  });

  it('records the file mode so key permissions can be checked', async () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'k.key'), cert.keyPem, { mode: 0o640 });
    const { results } = await stage([dir]);
    expect(results[0]!.mode! & 0o777).toBe(0o640);
  });
});
