/**
 * The CLI's logger: one line per message on stderr. --quiet keeps errors only (a cron job mails
 * whatever it prints, so a quiet run that went well prints nothing); --verbose adds debug.
 */
import type { Logger } from '../logger.js';
import { escapeControlsKeepLines } from './render/escape.js';

export function stderrLogger(options: { quiet?: boolean; verbose?: boolean }, stderr: NodeJS.WritableStream = process.stderr): Logger {
  const write = (prefix: string) => (message: string) => {
    // A message can quote a CA's error or a certificate's name: its control characters are escaped (escape.ts).
    stderr.write(`certfleet: ${prefix}${escapeControlsKeepLines(message)}\n`);
  };
  const none = () => undefined;
  return {
    debug: options.verbose ? write('debug: ') : none,
    info: options.quiet ? none : write(''),
    warn: options.quiet ? none : write('warning: '),
    error: write('error: '),
  };
}
