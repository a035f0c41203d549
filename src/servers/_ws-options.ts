// The checks of the WebSocket options shared by the server (HttpServer's `websocket` option,
// checked when the server is made) and the client (`connect`). A module of its own so that
// HttpServer checks them without loading `ws`.

/**
 * 2^31 - 1: the longest interval a Node timer keeps (a longer one fires after 1 ms), and the
 * largest `maxPayload` that `ws` (which reads it as an int32) takes as it is.
 */
const MAX_TIMER_MS = 2147483647;

/** The keys of HttpServer's `websocket` object (`WebSocketServerOptions`). @internal */
export const WS_SERVER_KEYS: readonly string[] = ['handler', 'maxMessageSize', 'pingInterval'];

function describe(x: unknown): string {
  if (x === null) return 'null';
  return typeof x === 'string' ? JSON.stringify(x) : typeof x;
}

/**
 * `pingInterval` (ms): `undefined`/`null` gives `fallback`; 0 and `Infinity` mean no pings.
 * Throws TypeError for a value that is not a number, RangeError for a negative, NaN or
 * non-integer one, or one longer than a Node timer can wait. @internal
 */
export function readPingInterval(v: unknown, where: string, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number') {
    throw new TypeError(`${where}: pingInterval must be a number of ms, got ${describe(v)}`);
  }
  if (v === Number.POSITIVE_INFINITY) return 0;
  if (!Number.isInteger(v) || v < 0 || v > MAX_TIMER_MS) {
    throw new RangeError(
      `${where}: pingInterval must be an integer number of ms from 0 to ${MAX_TIMER_MS} (or Infinity: none), got ${v}`,
    );
  }
  return v;
}

/**
 * `maxMessageSize` (bytes) as `ws`'s `maxPayload`: `undefined`/`null` gives `fallback`; `Infinity`
 * (or anything above 2^31 - 1, which `ws` would wrap to a small or negative int32) means no
 * limit, `ws`'s 0. Throws TypeError for a value that is not a number, RangeError for one that is
 * not a positive integer. @internal
 */
export function readMaxMessageSize(v: unknown, where: string, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number') {
    throw new TypeError(`${where}: maxMessageSize must be a number of bytes, got ${describe(v)}`);
  }
  if (v === Number.POSITIVE_INFINITY) return 0;
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(
      `${where}: maxMessageSize must be a positive integer number of bytes (or Infinity: no limit), got ${v}`,
    );
  }
  return v > MAX_TIMER_MS ? 0 : v;
}
