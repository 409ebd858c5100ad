/** The inventory scan as commands run it (inventory, report): flags to options, progress on stderr. */
import type { InventoryFlags, ResolvedInventory } from '../config/inventory-options.js';
import type { InventoryResult } from '../inventory/model.js';
import { runInventory, type ProgressEvent } from '../inventory/scan.js';
import type { GlobalOptions } from './main.js';
import { createProgress, progressMode } from './progress.js';

const stages = { proxies: 'Proxy configs', files: 'Files', endpoints: 'Endpoints', checks: 'Checks' } as const;

function describe(e: ProgressEvent): string {
  const n = 'done' in e ? e.done : 0;
  const done = e.state === 'end';
  switch (e.stage) {
    case 'proxies':
      return done ? `Proxy configs: ${n} certificate bindings` : 'Reading proxy configs';
    case 'files':
      return done ? `Files: ${n} read` : `Reading files (${n})`;
    case 'endpoints':
      return done ? `Endpoints: ${n} scanned` : `Scanning endpoints (${n}/${e.total ?? '?'})`;
    case 'checks':
      return done ? `Checks: ${n} certificates checked` : 'Checking';
  }
}

export async function scanWithProgress(resolved: ResolvedInventory, globals: GlobalOptions): Promise<InventoryResult> {
  const progress = createProgress(progressMode(globals.quiet, process.stderr, process.env), Object.values(stages), process.stderr);
  let result: InventoryResult;
  try {
    result = await runInventory(resolved.options, {
      onProgress: (e) => progress[e.state === 'progress' ? 'update' : e.state](stages[e.stage], describe(e)),
    });
  } finally {
    await progress.close();
  }
  result.errors.unshift(...resolved.inputErrors);
  result.summary.errors = result.errors.length;
  return result;
}

/** commander's parsed flags -> InventoryFlags (the config layer's input). */
export function toInventoryFlags(paths: string[], f: Record<string, unknown>): InventoryFlags {
  const list = (k: string) => (f[k] as string[] | undefined) ?? [];
  const flags: InventoryFlags = {
    paths,
    nginx: list('nginx'),
    apache: list('apache'),
    apacheDefine: list('apacheDefine'),
    haproxy: list('haproxy'),
    traefik: list('traefik'),
    endpoint: list('endpoint'),
    ca: list('ca'),
    passwordEnv: list('passwordEnv'),
    passwordFile: list('passwordFile'),
    exclude: list('exclude'),
  };
  // commander sets detectProxies=true by default for --no-*; only an explicit --no- should override the config.
  if (f.detectProxies === false) flags.detectProxies = false;
  for (const key of ['root', 'endpoints', 'failOn', 'connectTimeout', 'handshakeTimeout', 'asOf', 'trustStores'] as const) {
    if (typeof f[key] === 'string') flags[key] = f[key] as string;
  }
  if (typeof f.concurrency === 'number') flags.concurrency = f.concurrency;
  if (typeof f.workers === 'number') flags.workers = f.workers;
  return flags;
}
