/**
 * A worker thread: runs chunkWorker (chunk-work.ts) on the chunks pool.ts sends.
 */
import { parentPort, threadId } from 'node:worker_threads';
import { chunkWorker, type WorkerRequest } from './chunk-work.js';

const port = parentPort!;
const work = chunkWorker((m, transfer) => port.postMessage(m, transfer), `t${threadId}`);
port.on('message', (m: WorkerRequest) => work(m));
