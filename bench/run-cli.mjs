// Runs the built certfleet CLI in a child process and reports its wall time and peak RSS
// (maxRSS covers every thread, so the worker pool's memory is counted).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export function runCli(args) {
  const probe = `
    const started = process.hrtime.bigint();
    process.on('exit', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      process.stderr.write('\\nBENCH ' + JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS }) + '\\n');
    });
    import(${JSON.stringify(root + 'dist/cli/main.js')}).then((m) => m.main(['node', 'certfleet', ...${JSON.stringify(args)}]));`;
  // A file, not `node -e`: worker threads inherit execArgv, and --input-type would break them.
  const script = join(mkdtempSync(join(tmpdir(), 'certfleet-bench-')), 'probe.mjs');
  writeFileSync(script, probe);
  const t0 = process.hrtime.bigint();
  const child = spawnSync(process.execPath, [script], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 30 });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const line = child.stderr.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`certfleet did not finish: status ${child.status}\n${child.stderr.slice(-2000)}`);
  return { ...JSON.parse(line.slice(6)), wallMs, status: child.status, stdout: child.stdout, stderr: child.stderr };
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
