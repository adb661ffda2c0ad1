// The crypto pool's worker (src/core/pool.ts): seals or opens one batch of consecutive chunks
// per message with the same ChunkCipher code as the inline path, so the bytes are the same.
//
// A job's `input` is an ArrayBuffer transferred from the main thread: the per-object material
// (object key ‖ nonce prefix ‖ digest, never the data key) in its first MATERIAL_LENGTH bytes,
// then the batch. The material is copied into a cipher and zeroed in the input at once; the
// cipher's key is zeroed when the batch ends, whatever the outcome, so no key outlives a batch
// here. The output goes into a fresh ArrayBuffer transferred back (no copy); the input buffer
// goes back too, zeroed where it held plaintext, for the pool to reuse. Opening writes a chunk's
// plaintext only after its tag verified and zeroes the batch's output on the first failure,
// which is reported with its reason; nothing is logged.
import { parentPort } from 'node:worker_threads';
import { ChunkCipher, MATERIAL_LENGTH } from './aead.js';
import { TAG_LENGTH } from './format.js';
import { isIntegrityError } from './errors.js';
import type { WorkerJob, WorkerReply } from './pool.js';

const port = parentPort;
if (!port) throw new Error('crypto-worker.js runs only as a worker thread');

port.on('message', (job: WorkerJob) => {
  const input = Buffer.from(job.input, 0, MATERIAL_LENGTH + job.length);
  const cipher = ChunkCipher.fromMaterial(input.subarray(0, MATERIAL_LENGTH));
  input.fill(0, 0, MATERIAL_LENGTH);
  const body = input.subarray(MATERIAL_LENGTH);
  let reply: WorkerReply;
  const transfer: ArrayBuffer[] = [job.input];
  try {
    const n = Math.ceil(
      job.length / (job.op === 'seal' ? job.chunkSize : job.chunkSize + TAG_LENGTH),
    );
    const outLength =
      job.op === 'seal' ? job.length + Math.max(n, 1) * TAG_LENGTH : job.length - n * TAG_LENGTH;
    const out = Buffer.from(new ArrayBuffer(Math.max(outLength, 0)));
    const written =
      job.op === 'seal'
        ? cipher.sealRun(body, job.chunkSize, job.firstIndex, job.final, out, 0)
        : cipher.openRun(body, job.chunkSize, job.firstIndex, job.final, out, 0);
    reply = {
      id: job.id,
      ok: true,
      input: job.input,
      out: out.buffer as ArrayBuffer,
      length: written,
    };
    transfer.push(out.buffer as ArrayBuffer);
  } catch (e) {
    reply = isIntegrityError(e)
      ? { id: job.id, ok: false, input: job.input, integrity: e.reason, message: e.message }
      : { id: job.id, ok: false, input: job.input, message: (e as Error).message };
  } finally {
    cipher.wipe();
    if (job.op === 'seal') body.fill(0);
  }
  port.postMessage(reply, transfer);
});
