/**
 * dns-01 through an exec hook with lego's contract, against a real BIND: the hook is a small shell
 * script that calls BIND's own `nsupdate`, so what the conformance suite checks with dig went
 * through the exact path an operator's script takes. Then the hook's failures: exit 1 (its stderr
 * in the message), a hang (killed at the time limit, with what it started), a missing script, a
 * hook that "succeeds" without publishing anything (propagation timeout), and the argv/env contract.
 * Then the wait for propagation that is on by default: the zone's name servers found through a
 * resolver (configured, or the system's from an injected resolv.conf reader: never the machine's
 * real resolver), a hook whose record appears only later, one that never adds it, a CNAME-delegated
 * challenge name, and `propagation: false`.
 */
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChallengeError } from '../../src/challenges/errors.js';
import { recordingLogger } from '../../src/logger.js';
import type { DnsServer } from '../../src/challenges/dns/transport.js';
import { startBind, type RunningBind } from '../helpers/bind.js';
import { freeTcpUdpPort } from '../helpers/ports.js';
import { tempDir } from '../helpers/pki.js';
import { describeSolverConformance } from '../conformance/solver-conformance.js';
import { makeTask, solverFromConfig } from '../conformance/tasks.js';
import { dnsVerifier } from '../conformance/verifiers.js';

let bind: RunningBind;
let dir: string;

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

beforeAll(async () => {
  // delegated.test holds the target of a delegated challenge name (acme-dns style CNAME).
  bind = await startBind({ zones: ['example.test', 'delegated.test'], records: { 'example.test': ['_acme-challenge.alias IN CNAME alias.delegated.test.'] } });
  dir = tempDir('certfleet-exec-hook-');
  script(
    'nsupdate-hook',
    `set -eu
action="$1"; fqdn="$2"; value="$3"
case "$action" in
  present) change="update add $fqdn 60 TXT \\"$value\\"" ;;
  cleanup) change="update delete $fqdn TXT \\"$value\\"" ;;
  *) echo "unknown action: $action" >&2; exit 2 ;;
esac
# Over TCP (-v): under a loaded CI machine a UDP update once went unanswered (nsupdate: "timed out").
printf 'server 127.0.0.1 %s\\n%s\\nsend\\n' "$BIND_PORT" "$change" | nsupdate -v -t 8 -y "$TSIG_KEY"`,
  );
});

afterAll(async () => {
  await bind?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const context = (signal: AbortSignal = new AbortController().signal) => ({ logger: recordingLogger(), signal });

function hookEnv(): Record<string, string | undefined> {
  const k = bind.updateKey;
  return { PATH: process.env.PATH, BIND_PORT: String(bind.port), TSIG_KEY: `${k.algorithm}:${k.name}:${k.secret}` };
}

function execSolver(command: string[], overrides: Record<string, unknown> = {}, certificateName?: string) {
  return solverFromConfig(
    { type: 'dns-01', provider: 'exec', command, server: bind.server, propagationTimeout: '5s', pollInterval: '100ms', timeout: '10s', ...overrides },
    certificateName === undefined ? { hookEnv: hookEnv() } : { hookEnv: hookEnv(), certificateName },
  );
}

describeSolverConformance('dns-01 exec (hook calls nsupdate against BIND)', () => execSolver([join(dir, 'nsupdate-hook')]), () =>
  dnsVerifier(bind, ['www.example.test', 'api.example.test']),
);

describe('dns-01 exec hook', () => {
  it('passes `present|cleanup <fqdn> <value>` as argv (after the configured arguments, spaces intact) and CERTFLEET_* variables', async () => {
    const log = join(dir, 'calls.log');
    const recorder = script(
      'recorder',
      `{ printf '%s|' "$@"; echo; env | grep '^CERTFLEET_' | sort; echo --; } >> "${log}"
exec "${join(dir, 'nsupdate-hook')}" "$2" "$3" "$4"`,
    );
    const solver = await execSolver([recorder, 'first arg; $(touch pwned)'], {}, 'www-cert');
    const task = makeTask('dns-01', 'argv.example.test', { wildcard: true });
    await solver.present(task, context());
    await solver.cleanup(task, context());
    const calls = readFileSync(log, 'utf8').split('--\n').filter((c) => c.trim() !== '');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toBe(
      [
        `first arg; $(touch pwned)|present|_acme-challenge.argv.example.test.|${task.dnsTxtValue}|`,
        'CERTFLEET_ACTION=present',
        'CERTFLEET_DOMAIN=argv.example.test',
        'CERTFLEET_NAME=www-cert',
        'CERTFLEET_RECORD_NAME=_acme-challenge.argv.example.test.',
        `CERTFLEET_RECORD_VALUE=${task.dnsTxtValue}`,
        'CERTFLEET_WILDCARD=1',
        '',
      ].join('\n'),
    );
    expect(calls[1]).toMatch(/^first arg; \$\(touch pwned\)\|cleanup\|_acme-challenge\.argv\.example\.test\.\|/);
    expect(() => readFileSync(join(process.cwd(), 'pwned'))).toThrow();
    expect(await bind.digTxt('_acme-challenge.argv.example.test')).toEqual([]);
  });

  it('fails with the exit status and what the hook wrote to stderr', async () => {
    const failing = script('failing', 'echo "starting $1" ; echo "no credentials for zone example.test" >&2; exit 1');
    const solver = await execSolver([failing]);
    const task = makeTask('dns-01', 'fail.example.test');
    await expect(solver.present(task, context())).rejects.toThrow(
      `dns-01 exec hook \`${failing} present _acme-challenge.fail.example.test.\` exited with status 1: starting present\nno credentials for zone example.test`,
    );
    // The hook was started, so cleanup runs it too (it may have done half its work): and fails the same way.
    await expect(solver.cleanup(task, context())).rejects.toThrow('exited with status 1');
  });

  it('kills a hook that hangs at its time limit, with everything it started', async () => {
    const marker = join(dir, 'hang-survivor');
    const hanging = script('hanging', `(sleep 3; touch "${marker}") & sleep 30`);
    const solver = await execSolver([hanging], { timeout: '300ms' });
    const started = Date.now();
    await expect(solver.present(makeTask('dns-01', 'hang.example.test'), context())).rejects.toThrow(
      `dns-01 exec hook \`${hanging} present _acme-challenge.hang.example.test.\` did not finish within 300 ms and was killed`,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    await new Promise((resolve) => setTimeout(resolve, 3_300));
    expect(() => readFileSync(marker)).toThrow(); // the background child died with the hook
  });

  it('says when the hook does not exist', async () => {
    const solver = await execSolver([join(dir, 'no-such-hook')]);
    await expect(solver.present(makeTask('dns-01', 'missing.example.test'), context())).rejects.toThrow(`dns-01 exec hook ${join(dir, 'no-such-hook')}: not found`);
  });

  it('times out when the hook succeeds but the record never shows on the server', async () => {
    const noop = script('noop', 'exit 0');
    const solver = await execSolver([noop], { propagationTimeout: '500ms' });
    const task = makeTask('dns-01', 'noop.example.test');
    await expect(solver.present(task, context())).rejects.toThrow(
      `TXT _acme-challenge.noop.example.test. "${task.dnsTxtValue}" is not visible after 500 ms on ${bind.server} (no TXT record)`,
    );
  });


  it('kills the hook when the run is cancelled', async () => {
    const slow = script('slow', 'sleep 30');
    const solver = await execSolver([slow]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run cancelled')), 200);
    const started = Date.now();
    await expect(solver.present(makeTask('dns-01', 'cancel.example.test'), context(controller.signal))).rejects.toThrow('run cancelled');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describeSolverConformance('dns-01 exec, name servers found through a resolver (the default wait)', () => execSolver([join(dir, 'nsupdate-hook')], { server: undefined, resolver: bind.server }), () =>
  dnsVerifier(bind, ['www.example.test', 'api.example.test']),
);

describe('dns-01 exec hook: waiting for propagation (on by default)', () => {
  /** The machine's real resolver is never asked: each test says which "system resolvers" there are. */
  const systemResolvers = (servers: DnsServer[]) => {
    const calls: number[] = [];
    return { calls, read: () => (calls.push(1), Promise.resolve(servers)) };
  };
  const bindServer = (): DnsServer => ({ host: bind.host, port: bind.port });
  const config = (command: string[], fields: Record<string, unknown> = {}) => ({ type: 'dns-01', provider: 'exec', command, pollInterval: '100ms', timeout: '10s', ...fields });

  /**
   * A hook like one calling a DNS provider's API: it returns at once, and the record appears a
   * second later. The marker is written just before the record is added, so a present() that
   * returned before the record was there finds no marker.
   */
  function delayedHook(name: string): string {
    return script(
      name,
      `case "$1" in
  present) ( sleep 1; touch "${dir}/added-$3"; exec "${join(dir, 'nsupdate-hook')}" present "$2" "$3" ) </dev/null >/dev/null 2>&1 & ;;
  *) exec "${join(dir, 'nsupdate-hook')}" "$@" ;;
esac`,
    );
  }
  const added = (value: string) => existsSync(join(dir, `added-${value}`));

  it('waits by default until the record is on the zone\'s name servers, found through the system resolvers (the first one down)', async () => {
    const hook = delayedHook('delayed-system');
    // A closed port first: the next resolver is asked, as the C library does.
    const resolvers = systemResolvers([{ host: '127.0.0.1', port: await freeTcpUdpPort() }, bindServer()]);
    const solver = await solverFromConfig(config([hook], { propagationTimeout: '30s' }), { hookEnv: hookEnv(), systemResolvers: resolvers.read });
    const task = makeTask('dns-01', 'delayed.example.test');
    await solver.present(task, context());
    expect(added(task.dnsTxtValue)).toBe(true);
    expect(await bind.txt('_acme-challenge.delayed.example.test')).toEqual([task.dnsTxtValue]);
    expect(resolvers.calls).toHaveLength(1);
    await solver.cleanup(task, context());
    expect(await bind.txt('_acme-challenge.delayed.example.test')).toEqual([]);
  });

  it('finds the name servers through a configured `resolver:` instead of the system\'s', async () => {
    const hook = delayedHook('delayed-resolver');
    const resolvers = systemResolvers([]);
    const solver = await solverFromConfig(config([hook], { resolver: bind.server, propagationTimeout: '30s' }), { hookEnv: hookEnv(), systemResolvers: resolvers.read });
    const task = makeTask('dns-01', 'resolver.example.test');
    await solver.present(task, context());
    expect(added(task.dnsTxtValue)).toBe(true);
    expect(resolvers.calls).toHaveLength(0);
    await solver.cleanup(task, context());
  });

  it('fails after propagationTimeout when the record never appears, naming the record, the servers asked and how they were found', async () => {
    const noop = script('noop-default', 'exit 0');
    const solver = await solverFromConfig(config([noop], { propagationTimeout: '1s' }), { hookEnv: hookEnv(), systemResolvers: systemResolvers([bindServer()]).read });
    const task = makeTask('dns-01', 'never.example.test');
    const err = (await solver.present(task, context()).catch((e: unknown) => e)) as ChallengeError;
    expect(err).toBeInstanceOf(ChallengeError);
    expect(err.message).toBe(
      `TXT _acme-challenge.never.example.test. "${task.dnsTxtValue}" is not visible after 1 s on ${bind.server} (no TXT record) ` +
        `(the name servers of zone example.test., found through the system resolver ${bind.server} (/etc/resolv.conf))`,
    );
    expect(err.hint).toContain('propagation: false');
  });

  it('follows a CNAME-delegated challenge name to the zone that holds the record', async () => {
    // The hook knows the delegation and writes the target name, as an acme-dns hook does.
    const hook = script('delegating', `exec "${join(dir, 'nsupdate-hook')}" "$1" alias.delegated.test. "$3"`);
    const solver = await solverFromConfig(config([hook], { resolver: bind.server, propagationTimeout: '10s' }), { hookEnv: hookEnv() });
    const task = makeTask('dns-01', 'alias.example.test');
    await solver.present(task, context());
    expect(await bind.txt('alias.delegated.test')).toEqual([task.dnsTxtValue]);
    await solver.cleanup(task, context());
    expect(await bind.txt('alias.delegated.test')).toEqual([]);
  });

  it('returns as soon as the hook succeeded with `propagation: false`, asking no DNS server', async () => {
    const noop = script('noop-fast', 'exit 0');
    const resolvers = systemResolvers([]);
    const solver = await solverFromConfig(config([noop], { propagation: false }), { hookEnv: hookEnv(), systemResolvers: resolvers.read });
    await solver.present(makeTask('dns-01', 'nowait.example.test'), context());
    expect(resolvers.calls).toHaveLength(0);
  });
});
