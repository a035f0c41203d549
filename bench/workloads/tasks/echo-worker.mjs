// The bare worker of the thread-pool round-trip baseline: echo every message back.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', (x) => parentPort.postMessage(x));
