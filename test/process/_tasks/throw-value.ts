// A thread-pool task for the tests: throws what it is told (not an Error), or returns it.
export default function throwValue(kind: string): unknown {
  if (kind === 'string') throw 'a bare string';
  if (kind === 'null') throw null;
  if (kind === 'undefined') throw undefined;
  if (kind === 'object') throw { message: 'a plain object', code: 42 };
  return kind;
}
