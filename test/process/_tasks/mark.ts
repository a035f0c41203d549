// A thread-pool task for the tests: create the file `path` (proof that the task ran), then
// return `value`.
import { writeFileSync } from 'node:fs';

export default function mark(path: string, value: unknown = null): unknown {
  writeFileSync(path, 'ran');
  return value;
}
