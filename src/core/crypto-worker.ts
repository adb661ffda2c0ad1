// The crypto pool's worker (src/core/pool.ts): seals or opens one batch of consecutive chunks
// per message with the same ChunkCipher loop as the inline path (sealRunParts/openRunParts), so
// the bytes are the same.
//
// A job's `input` is an ArrayBuffer transferred from the main thread: the per-object material
// (object key ‖ nonce prefix ‖ digest, never the data key) in its first MATERIAL_LENGTH bytes,
// then the batch. The material is copied into a cipher and zeroed in the input at once; the
// cipher's key is zeroed when the batch ends, whatever the outcome, so no key outlives a batch
// here. The output is node:crypto's own per-chunk buffers, transferred back as they are (no
// copy into one batch buffer, no fresh 4 MiB allocation to fault in): for a seal, each chunk's
// ciphertext then its tag (the tags share one small buffer), i.e. the stored bytes in order;
// for an open, each chunk's plaintext. The input buffer goes back too, zeroed where it held
// plaintext, for the pool to reuse. A `seal-shared` job (the store's put, encryptToPartsAsync
// with `recycle`) carries only the material, transferred: the plaintext and the output are in
// a SharedArrayBuffer slab the main thread lent, the worker seals into it
// (ChunkCipher.sealRunStrided) and answers with one small message. Opening releases plaintext only once every chunk of the
// batch verified and zeroes it on the first failure, which is reported with its reason;
// nothing is logged.
import { parentPort } from 'node:worker_threads';
import { ChunkCipher, MATERIAL_LENGTH, runChunks } from './aead.js';
import { TAG_LENGTH } from './format.js';
import { isIntegrityError } from './errors.js';
import type { SharedReply, SharedSealJob, WorkerJob, WorkerReply } from './pool.js';

const port = parentPort;
if (!port) throw new Error('crypto-worker.js runs only as a worker thread');

/** Adds `b`'s memory to `transfer` when `b` owns its whole ArrayBuffer (node:crypto's outputs
 * do); a view of shared memory (Node's small-buffer pool) is copied by postMessage instead. */
function transferable(b: Buffer, transfer: ArrayBuffer[]): void {
  const ab = b.buffer as ArrayBuffer;
  if (b.byteOffset === 0 && b.length === ab.byteLength && ab.byteLength > 0) transfer.push(ab);
}

/** A batch on shared memory (encryptToPartsAsync): sealed straight into the caller's output,
 * answered with one small message. The material is zeroed on arrival, the key when it ends. */
function sealShared(job: SharedSealJob): SharedReply {
  const material = new Uint8Array(job.material);
  const cipher = ChunkCipher.fromMaterial(material);
  material.fill(0);
  try {
    const mem = Buffer.from(job.shared);
    cipher.sealRunStrided(
      mem,
      job.srcOffset,
      job.srcStride,
      job.length,
      job.chunkSize,
      job.firstIndex,
      job.final,
      mem,
      job.outOffset,
    );
    return { id: job.id, ok: true, shared: true };
  } catch (e) {
    return { id: job.id, ok: false, shared: true, message: (e as Error).message };
  } finally {
    cipher.wipe();
  }
}

port.on('message', (job: WorkerJob | SharedSealJob) => {
  if (job.op === 'seal-shared') {
    port.postMessage(sealShared(job));
    return;
  }
  const input = Buffer.from(job.input, 0, MATERIAL_LENGTH + job.length);
  const cipher = ChunkCipher.fromMaterial(input.subarray(0, MATERIAL_LENGTH));
  input.fill(0, 0, MATERIAL_LENGTH);
  const body = input.subarray(MATERIAL_LENGTH);
  let reply: WorkerReply | undefined;
  const transfer: ArrayBuffer[] = [job.input];
  try {
    const parts: Uint8Array[] = [];
    if (job.op === 'seal') {
      const n = runChunks(job.length, job.chunkSize, job.final);
      const tags = Buffer.from(new ArrayBuffer(n * TAG_LENGTH));
      const cts = cipher.sealRunParts(body, job.chunkSize, job.firstIndex, job.final, tags);
      for (let i = 0; i < cts.length; i++) {
        transferable(cts[i]!, transfer);
        parts.push(cts[i]!, tags.subarray(i * TAG_LENGTH, (i + 1) * TAG_LENGTH));
      }
      transferable(tags, transfer);
    } else {
      for (const pt of cipher.openRunParts(body, job.chunkSize, job.firstIndex, job.final)) {
        transferable(pt, transfer);
        parts.push(pt);
      }
    }
    reply ??= { id: job.id, ok: true, input: job.input, parts };
  } catch (e) {
    transfer.length = 1;
    reply = isIntegrityError(e)
      ? { id: job.id, ok: false, input: job.input, integrity: e.reason, message: e.message }
      : { id: job.id, ok: false, input: job.input, message: (e as Error).message };
  } finally {
    cipher.wipe();
    // A sealed input held plaintext: zero it before it goes back for reuse.
    if (job.op === 'seal') body.fill(0);
  }
  port.postMessage(reply, transfer);
});
