/** Where a command's document goes: stdout, or a file written atomically (--output). */
import { writeFileAtomic } from '../store/atomic-write.js';

export async function writeOutput(text: string, outputFile: string | undefined): Promise<void> {
  if (outputFile) {
    await writeFileAtomic(outputFile, text);
    return;
  }
  await new Promise<void>((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
  });
}
