// A thread-pool task for the tests: the square of its argument.
export default function square(x: number): number {
  return x * x;
}
