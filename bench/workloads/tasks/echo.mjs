// A thread-pool task for the bench: return its argument (the round trip is the cost measured).
export default function echo(x) {
  return x;
}
