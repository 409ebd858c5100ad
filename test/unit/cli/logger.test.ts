import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { stderrLogger } from '../../../src/cli/logger.js';

function capture(options: { quiet?: boolean; verbose?: boolean }): string {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const log = stderrLogger(options, out);
  log.debug('POST https://ca.test/new-order 201 12ms');
  log.info('www: renewing');
  log.warn('renewal information unavailable');
  log.error('www: renewal failed');
  return text;
}

describe('the CLI logger', () => {
  it('--quiet keeps errors only: a cron run that went well prints nothing', () => {
    expect(capture({ quiet: true })).toBe('certfleet: error: www: renewal failed\n');
  });
});
