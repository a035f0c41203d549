// A thread-pool task for the tests: async, the sum of all its arguments.
export default async function sum(...xs: number[]): Promise<number> {
  await new Promise((r) => setTimeout(r, 1));
  return xs.reduce((a, b) => a + b, 0);
}
