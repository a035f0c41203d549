// A thread-pool task for the tests: throws an error with the given message.
export default function fail(message: string): never {
  throw new Error(message);
}
