// Copies the data files tsc does not emit (the policy timeline) next to the compiled code.
import { copyFileSync, mkdirSync } from 'node:fs';

mkdirSync('dist/policy', { recursive: true });
copyFileSync('src/policy/timeline.json', 'dist/policy/timeline.json');
