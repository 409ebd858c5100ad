/**
 * The BIND harness itself, driven by BIND's own nsupdate: the update key may change the zone,
 * the other key is refused, and dig sees what nsupdate wrote. If these fail, every dns-01 test
 * after them is meaningless.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBind, type RunningBind, type TsigKey } from '../helpers/bind.js';

function nsupdate(bind: RunningBind, key: TsigKey, commands: string[]): Promise<{ code: number; output: string }> {
  const script = [`server ${bind.host} ${bind.port}`, ...commands, 'send', ''].join('\n');
  return new Promise((resolve) => {
    const child = execFile('nsupdate', ['-y', `${key.algorithm}:${key.name}:${key.secret}`], (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
    child.stdin?.end(script);
  });
}

describe('BIND harness', () => {
  let bind: RunningBind;
  beforeAll(async () => {
    bind = await startBind();
  });
  afterAll(async () => {
    await bind?.stop();
  });

  it('accepts TSIG-signed updates from the update key and serves them', async () => {
    const name = '_acme-challenge.harness.example.test';
    const result = await nsupdate(bind, bind.updateKey, [`update add ${name}. 60 TXT "hello-harness"`]);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
    expect(await bind.digTxt(name)).toEqual(['hello-harness']);
    expect(await bind.txt(name)).toEqual(['hello-harness']);
  });

  it('refuses updates signed by the other key', async () => {
    const result = await nsupdate(bind, bind.otherKey, ['update add refused.example.test. 60 TXT "no"']);
    expect(result.output).toMatch(/REFUSED/);
    expect(result.code).not.toBe(0);
    expect(await bind.txt('refused.example.test')).toEqual([]);
  });
});
