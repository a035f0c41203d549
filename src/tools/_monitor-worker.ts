/**
 * The watchdog thread of `startMonitor()`. The main thread counts hub turns in a shared cell;
 * this thread checks it every `period` ms. When the count has not moved for `maxBlockingTime`,
 * it pauses the main thread through
 * `node:inspector`, reads its stack, and has the main thread write the report (a function the
 * main thread registered under `Symbol.for('verdant.monitor.report')`) — once per episode.
 *
 * @module
 */
import { Session } from 'node:inspector';
import { parentPort, workerData } from 'node:worker_threads';

interface Data {
  beat: Int32Array;
  maxBlockingTime: number;
  period: number;
}

interface CallFrame {
  callFrameId: string;
  functionName: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
}

const { beat, maxBlockingTime, period } = workerData as Data;
const session = new Session();
session.connectToMainThread();
const urls = new Map<string, string>();
session.on('Debugger.scriptParsed', (m: { params: { scriptId: string; url: string } }) => {
  urls.set(m.params.scriptId, m.params.url);
});

function post(method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    session.post(method, params, (err: Error | null, result?: unknown) =>
      err ? reject(err) : resolve(result),
    );
  });
}

let reportedBeat = -1;
let busy = false;

function frameLine(f: CallFrame): string {
  const url = urls.get(f.location.scriptId) ?? '';
  const where = `${url}:${f.location.lineNumber + 1}:${f.location.columnNumber + 1}`;
  return `    at ${f.functionName === '' ? '<anonymous>' : f.functionName} (${where})`;
}

async function report(seen: number): Promise<void> {
  busy = true;
  try {
    await post('Debugger.enable');
    const paused = new Promise<CallFrame[]>((resolve) => {
      session.once('Debugger.paused', (m: { params: { callFrames: CallFrame[] } }) =>
        resolve(m.params.callFrames),
      );
    });
    await post('Debugger.pause');
    const frames = await paused;
    try {
      // Still the same episode (the main thread did not pass its loop meanwhile)?
      if (Atomics.load(beat, 0) === seen && frames.length > 0) {
        const text = frames.map(frameLine).join('\n');
        await post('Debugger.evaluateOnCallFrame', {
          callFrameId: (frames[0] as CallFrame).callFrameId,
          expression: `globalThis[Symbol.for('verdant.monitor.report')]?.(${JSON.stringify(text)})`,
          silent: true,
        });
      }
    } finally {
      await post('Debugger.resume');
    }
    await post('Debugger.disable');
  } catch {
    // The main thread is exiting, or the monitor was stopped: nothing to report.
  } finally {
    busy = false;
  }
}

let lastBeat = Atomics.load(beat, 0);
let lastChange = Date.now();

setInterval(() => {
  if (busy) return;
  const seen = Atomics.load(beat, 0);
  const now = Date.now();
  if (seen !== lastBeat) {
    lastBeat = seen;
    lastChange = now;
    return;
  }
  if (seen === reportedBeat) return; // this episode is reported
  if (now - lastChange >= maxBlockingTime) {
    reportedBeat = seen;
    void report(seen);
  }
}, period);

parentPort?.postMessage('ready');
