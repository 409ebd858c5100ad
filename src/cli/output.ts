/** Where a command's document goes: stdout, or a file written atomically (--output). */
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic-write.js';

export async function writeOutput(chunks: Iterable<string>, outputFile: string | undefined): Promise<void> {
  if (outputFile) {
    try {
      await writeFileAtomic(outputFile, coalesce(chunks));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A bad --output path is the user's to fix (exit 2), not a bug.
      if (code && ['ENOENT', 'EACCES', 'EPERM', 'ENOTDIR', 'EISDIR', 'EROFS', 'ENOSPC'].includes(code)) {
        throw new UsageError(`cannot write ${outputFile}: ${code}`, 'check that the --output directory exists and is writable');
      }
      throw err;
    }
    return;
  }
  for (const piece of coalesce(chunks)) {
    // Respect back-pressure: a slow pipe (| less, | gzip) must not make us buffer the whole document.
    if (!process.stdout.write(piece)) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  }
  await new Promise<void>((resolve, reject) => process.stdout.write('', (err) => (err ? reject(err) : resolve())));
}

/** Small renderer pieces joined into ~64 KiB writes. */
function* coalesce(chunks: Iterable<string>): Iterable<string> {
  let buffer = '';
  for (const chunk of chunks) {
    buffer += chunk;
    if (buffer.length >= 65_536) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer) yield buffer;
}
