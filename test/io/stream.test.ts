// Runs the stream conformance suite (test/io/stream.conformance.ts) for TCP, Unix, TLS and
// socketpair().
import { after } from 'node:test';
import { assertNoLiveHandles, streamKinds } from './_net.js';
import { streamConformance } from './stream.conformance.js';

for (const kind of streamKinds) streamConformance(kind);

after(() => assertNoLiveHandles());
