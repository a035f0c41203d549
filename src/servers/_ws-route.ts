// Which upgrade requests HttpServer diverts to its WebSocket side: only `Upgrade: websocket`. Any
// other (`Upgrade: h2c`, what `curl --http2` sends over http) is served as a normal request, as
// pywsgi and node:http without an 'upgrade' listener serve it (the client cannot insist on a
// protocol change). node:http itself decides 'upgrade' vs 'request' once an 'upgrade' listener
// exists: where it has `shouldUpgradeCallback` (Node ≥ 24.9) that option decides; on an
// older Node an IncomingMessage subclass whose `upgrade` reads false for a request that is not a
// WebSocket one makes node:http take its no-listener path for it (parserOnIncoming reads
// `req.upgrade` right after setting it). Loaded without `ws`. Test:
// test/servers/websocket.test.ts "a request with Upgrade: h2c reaches the app …".
import { IncomingMessage, Server, type ServerOptions } from 'node:http';

/**
 * Whether the request asks for a WebSocket (`Upgrade: websocket`), read from its raw head; a
 * CONNECT keeps node:http's own routing to 'connect'.
 */
function asksWebSocket(req: IncomingMessage): boolean {
  // CONNECT goes to node:http's 'connect' listener (HttpServer answers 501), never 'request'.
  if (req.method === 'CONNECT') return true;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 7 && name.toLowerCase() === 'upgrade') {
      return (raw[i + 1] as string).trim().toLowerCase() === 'websocket';
    }
  }
  return false;
}

const kUpgrade: unique symbol = Symbol('verdant.upgrade');

/** A request whose `upgrade` is true only for a WebSocket upgrade (for a Node without `shouldUpgradeCallback`). */
class WebSocketRoutedMessage extends IncomingMessage {
  [kUpgrade]: boolean | null = null;
  // @ts-expect-error an accessor where IncomingMessage declares a property
  override get upgrade(): boolean {
    const v = this[kUpgrade];
    return v === true ? asksWebSocket(this) : (v as boolean);
  }
  set upgrade(v: boolean) {
    this[kUpgrade] = v;
  }
}

/** Whether this Node's http.Server has `shouldUpgradeCallback`; found once, when first needed. */
let native: boolean | null = null;

/**
 * @internal Make a node:http server built with `opts` divert only WebSocket upgrades to its
 * 'upgrade' listener.
 */
export function _routeOnlyWebSocketUpgrades(opts: ServerOptions): void {
  if (native === null) {
    // The option's default is an own function of every server (no handle until listen()).
    native =
      typeof (new Server() as { shouldUpgradeCallback?: unknown }).shouldUpgradeCallback ===
      'function';
  }
  if (native) {
    (opts as { shouldUpgradeCallback?: (req: IncomingMessage) => boolean }).shouldUpgradeCallback =
      asksWebSocket;
  } else {
    opts.IncomingMessage = WebSocketRoutedMessage;
  }
}
