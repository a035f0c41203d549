/**
 * `verdant/server`: `StreamServer` (TCP, Unix, TLS) and `DatagramServer` (UDP), each running
 * its handler in a greenlet per connection or datagram, with graceful `stop({timeout})`.
 *
 * @module verdant/server
 */
export {
  BaseServer,
  type BaseServerOptions,
  type Listener,
  type ListenerSpec,
  type SpawnOption,
  type StopOptions,
} from './base.js';
export { type DatagramHandler, DatagramServer, type DatagramServerOptions } from './datagram.js';
export {
  type StreamAddress,
  type StreamHandler,
  StreamServer,
  type StreamServerOptions,
} from './stream.js';
