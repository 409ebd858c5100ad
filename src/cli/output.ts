/** Where a command's document goes: stdout, or a file written atomically (--output). */
import { writeFileAtomic } from '../store/atomic-write.js';

export async function writeOutput(chunks: Iterable<string>, outputFile: string | undefined): Promise<void> {
  if (outputFile) {
    await writeFileAtomic(outputFile, coalesce(chunks));
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
