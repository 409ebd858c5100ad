// Runs the built certfleet CLI in a child process and reports its wall time and peak memory:
// the child's own maxRSS, and the peak of the whole process tree (the CLI plus any parsing
// processes it forks) sampled from /proc every 20 ms.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function runCli(args) {
  const probe = `
    process.on('exit', () => process.stderr.write('\\nBENCH ' + JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }) + '\\n'));
    import(${JSON.stringify(root + 'dist/cli/main.js')}).then((m) => m.main(['node', 'certfleet', ...${JSON.stringify(args)}]));`;
  // A file, not `node -e`: child processes and threads inherit execArgv, and --input-type would break them.
  const script = join(mkdtempSync(join(tmpdir(), 'certfleet-bench-')), 'probe.mjs');
  writeFileSync(script, probe);
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let treePeakKb = 0;
  const sampler = setInterval(() => {
    treePeakKb = Math.max(treePeakKb, treeRssKb(child.pid));
  }, 20);
  const status = await new Promise((resolve) => child.on('close', resolve));
  clearInterval(sampler);
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const line = stderr.split('\n').find((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`certfleet did not finish: status ${status}\n${stderr.slice(-2000)}`);
  const { maxRssKb } = JSON.parse(line.slice(6));
  return { maxRssKb, treePeakKb: Math.max(treePeakKb, maxRssKb), wallMs, status, stdout, stderr };
}

function treeRssKb(pid) {
  try {
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return rss + kids.reduce((sum, kid) => sum + treeRssKb(Number(kid)), 0);
  } catch {
    return 0; // the process has just ended
  }
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Run a command to its end without blocking our event loop (Pebble's log pipes must keep draining). */
export function runProcess(command, argv, options = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(command, argv, { cwd: options.cwd ?? root, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.on('error', (err) => {
      process.removeListener('exit', killOnExit);
      reject(err);
    });
    child.on('close', (status) => {
      process.removeListener('exit', killOnExit);
      resolve({ status, stdout, stderr, wallMs: Number(process.hrtime.bigint() - t0) / 1e6 });
    });
  });
}
