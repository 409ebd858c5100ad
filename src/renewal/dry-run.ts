/**
 * `renew --dry-run`, as certbot users expect it: the whole job against the CA's staging directory
 * (a preset's, or acme.dryRunServer) with throwaway state — account, order, real challenge
 * validation through the configured solver and hooks, finalize — so a ToS not accepted, a port in
 * use, a webroot the web server does not serve or a failing DNS hook fails here with the message a
 * real run would give. Nothing is deployed and the real state directory is never touched.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { selectCertificates, type ManagedCertificate, type RenewSettings } from './managed.js';
import { runRenew, type RenewRunHooks, type RenewRunOptions, type RenewRunResult } from './run.js';

export interface DryRunHooks extends RenewRunHooks {
  /** Where the throwaway state goes (the CLI passes the OS temp directory). */
  scratchDir: string;
}

export async function runDryRun(settings: RenewSettings, options: Omit<RenewRunOptions, 'plan' | 'force'>, hooks: DryRunHooks): Promise<RenewRunResult> {
  const certificates = selectCertificates(settings, options.names).map(onStaging);
  const stateDir = await mkdtemp(join(hooks.scratchDir, 'certfleet-dry-run-'));
  try {
    const result = await runRenew({ ...settings, stateDir, certificates }, { ...options, names: [], force: true, plan: false }, hooks);
    return { ...result, mode: 'dry-run', dryRun: true };
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** The certificate as the dry run orders it: at the staging CA, deployed nowhere, verified nowhere. */
function onStaging(cert: ManagedCertificate): ManagedCertificate {
  const url = cert.ca.dryRunDirectoryUrl;
  if (!url) {
    throw new ConfigError(
      `${cert.name}: the CA ${cert.ca.directoryUrl} has no staging directory certfleet knows: a dry run would issue real certificates`,
      'set acme.dryRunServer to its staging (or test) directory URL, or use renew --plan to see what would be renewed without contacting a CA',
    );
  }
  const { deploy: _deploy, ...rest } = cert;
  // The production CA's rate limits are not the staging directory's (far higher): none taken.
  const { rateLimits: _rateLimits, ...ca } = cert.ca;
  return { ...rest, ca: { ...ca, directoryUrl: url }, verify: [] };
}
