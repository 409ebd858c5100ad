/**
 * Compiles a src/ module, and the src/ modules it imports, into a temp directory, so a plain
 * `node` child process can import the code under test without `npm run build` (dist/ belongs to
 * whoever built last). Only relative imports and node: builtins are followed; a package import
 * is refused rather than left to fail in the child.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { repoRoot } from './cli.js';

const srcRoot = join(repoRoot, 'src');

/** Returns the path of the compiled entry (an .js file next to its compiled imports). */
export function compileForChild(entry: string): string {
  const out = mkdtempSync(join(tmpdir(), 'certfleet-child-'));
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  const done = new Set<string>();
  const visit = (file: string): void => {
    if (done.has(file)) return;
    done.add(file);
    const source = readFileSync(file, 'utf8');
    const js = ts.transpileModule(source, { fileName: file, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true } }).outputText;
    const target = join(out, relative(srcRoot, file).replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, js);
    for (const { fileName } of ts.preProcessFile(js, true, true).importedFiles) {
      if (fileName.startsWith('node:')) continue;
      if (!fileName.startsWith('.')) throw new Error(`compileForChild: ${file} imports package ${fileName}; build dist/ for that instead`);
      visit(resolve(dirname(file), fileName.replace(/\.js$/, '.ts')));
    }
  };
  const abs = resolve(repoRoot, entry);
  visit(abs);
  return join(out, relative(srcRoot, abs).replace(/\.ts$/, '.js'));
}
