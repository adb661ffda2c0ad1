// The crypto pool: worker threads that seal and open batches of chunks off the main thread, so
// an object's AES-GCM runs on every core instead of node:crypto's one (docs/core.md, "Crypto
// pool"). Same object format and bytes as the inline path (the workers run ChunkCipher's chunk
// loop, sealRunParts/openRunParts, or sealRunStrided on shared slabs), same integrity rules: a
// chunk's plaintext is released only after its tag verified, and nothing after the first
// failure.
//
// Why a pool of our own and not tinypool or piscina: measured on this 2-core VM with the same
// worker body and 4 MiB batches (64 MiB, 2 threads, 4 batches in flight; docs/core.md,
// "Crypto pool"), this pool's best run took 216–314 ms against piscina's 617–1079 and
// tinypool's 497–1001 (load average 17–25, so only the order is firm). What a pool adds is the
// round trip and buffer handling, and the CryptoPool class below does what they do not: recycled
// input buffers (a fresh 4 MiB buffer costs page faults on every batch), outputs handed back
// as node:crypto made them or sealed into recycled shared slabs (no transfer), in-order release
// chained across batches, two jobs queued per worker, and workers that keep no process alive
// while idle. Neither library is a dependency.
//
// Memory bound: the whole-buffer functions keep at most `2 × threads` batches in flight, each
// holding one input copy and one output of ≤ BATCH_BYTES + 16 × chunks; so ≈ 2 × threads ×
// 2 × 4 MiB (32 MiB on 2 cores) whatever the object size. BatchSealer/BatchOpener copy each
// batch when called: their bound is the caller's batches in flight × 2 × batch size (× 1 with
// `recycle`: one slab per batch). Idle buffers kept for reuse: at most 3 × threads of
// INPUT_BYTES, plus at most MAX_IDLE_SLABS shared slabs (≈ 65 MiB); slabs lent with `recycle`
// are the caller's until release() (encryptToPartsAsync: the whole object's).
//
// Key material: a job carries the per-object material (object key ‖ nonce prefix ‖ digest; see
// ChunkCipher.exportMaterial) inside its transferred input buffer (or, for a shared-slab job, a
// transferred 71-byte buffer), never the data key; the worker zeroes it on arrival and its
// cipher's key when the batch ends. Nothing is logged.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { EncryptionContext } from '../kms/types.js';
import { MATERIAL_LENGTH, runChunks, type ChunkCipher } from './aead.js';
import {
  cipherFor,
  encryptToParts,
  newHeader,
  resolveDek,
  type DataKey,
  type DecryptOptions,
  type DekResolver,
  type EncryptOptions,
} from './envelope.js';
import { IntegrityError, type IntegrityReason } from './errors.js';
import {
  MAX_CHUNKS,
  TAG_LENGTH,
  chunkCount,
  decodeHeader,
  plaintextLength,
  type ObjectHeader,
} from './format.js';

/** Plaintext bytes per batch: what one worker message carries. */
export const BATCH_BYTES = 4 * 1024 * 1024;
/** Objects below this many bytes are sealed and opened inline by the whole-buffer functions,
 * and shorter batches by BatchSealer/BatchOpener: measured on this 2-core VM (docs/core.md,
 * "Crypto pool"), a pooled object of 64 KiB–2 MiB took 2.0–2.6× the inline time and one of
 * 4 MiB 1.15–1.3× — below one batch the round trip and the copy cost more than the second
 * core gives back. */
export const INLINE_THRESHOLD = 4 * 1024 * 1024;
/** Bytes of a recycled input buffer: the material, a batch, and room for the tags of a stored
 * batch (a 4 MiB batch of 64 KiB chunks is stored as 4 MiB + 1 KiB; chunks of 1 KiB or more
 * fit). A fresh buffer per batch costs page faults and GC work on the main thread (measured:
 * more than the copy into it). */
const INPUT_BYTES = MATERIAL_LENGTH + BATCH_BYTES + 64 * 1024;
/** Bytes of a shared slab: one sealed batch (a 4 MiB batch of chunks of 1 KiB or more, with
 * its tags). */
const SLAB_BYTES = BATCH_BYTES + 64 * 1024;
/** Idle slabs kept for reuse: one 64 MiB object's worth (16 × SLAB_BYTES ≈ 65 MiB). */
const MAX_IDLE_SLABS = 16;
/** Bytes before a slab lease's plaintext: room for the tags of a whole batch of chunks. */
function tagRoom(chunkSize: number): number {
  return Math.ceil(BATCH_BYTES / chunkSize) * TAG_LENGTH;
}
/** Jobs queued at one worker: the next batch waits in its port while it works on one. */
const JOBS_PER_WORKER = 2;

/** @internal One batch for a worker. */
export interface WorkerJob {
  id: number;
  op: 'seal' | 'open';
  /** material (MATERIAL_LENGTH bytes) ‖ batch (`length` bytes); transferred. */
  input: ArrayBuffer;
  length: number;
  chunkSize: number;
  firstIndex: number;
  final: boolean;
}

/** @internal One batch sealed on shared memory (encryptToPartsAsync): the worker reads the
 * plaintext of chunk i at `shared[srcOffset + i·srcStride]` and writes ciphertext ‖ tag per
 * chunk at `shared[outOffset…]`; nothing is transferred but the material, and the answer is one
 * small message. */
export interface SharedSealJob {
  id: number;
  op: 'seal-shared';
  /** The per-object material (MATERIAL_LENGTH bytes); transferred, zeroed by the worker. */
  material: ArrayBuffer;
  shared: SharedArrayBuffer;
  srcOffset: number;
  srcStride: number;
  outOffset: number;
  length: number;
  chunkSize: number;
  firstIndex: number;
  final: boolean;
}

/** @internal A worker's answer to a SharedSealJob. */
export type SharedReply =
  { id: number; ok: true; shared: true } | { id: number; ok: false; shared: true; message: string };

/** @internal A worker's answer; `input` comes back for reuse. `parts`: the batch's output in
 * order (sealed: ciphertext, tag per chunk; opened: plaintext per chunk), node:crypto's own
 * buffers, transferred. */
export type WorkerReply =
  | { id: number; ok: true; input: ArrayBuffer; parts: Uint8Array[] }
  | { id: number; ok: false; input: ArrayBuffer; integrity?: IntegrityReason; message: string };

/** The worker count the environment asks for: CMEK_CRYPTO_THREADS if set (0 = no workers,
 * everything inline), else os.availableParallelism(). */
export function cryptoThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CMEK_CRYPTO_THREADS;
  if (raw === undefined || raw.trim() === '') return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 256) {
    throw new RangeError(
      `CMEK_CRYPTO_THREADS must be a whole number from 0 to 256 (0 = no worker threads), ` +
        `not '${raw}'; unset it to use one thread per core`,
    );
  }
  return n;
}

interface Pending {
  job: WorkerJob | SharedSealJob;
  resolve: (out: Buffer[]) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, Pending>;
}

function spawnWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Running from the TypeScript sources (vitest, tsx): the worker is TypeScript too and needs
    // tsx's loader, which a worker does not inherit; register it in the worker first.
    const entry = JSON.stringify(new URL('./crypto-worker.ts', here).href);
    return new Worker(
      `import('tsx/esm/api').then((m) => { m.register(); return import(${entry}); })`,
      { eval: true, execArgv: [] },
    );
  }
  // Built: dist/core/crypto-worker.js beside this module. `execArgv: []`: the worker needs none
  // of the process's flags, and some (--input-type, --eval) make a worker fail to start.
  return new Worker(new URL('./crypto-worker.js', here), { execArgv: [] });
}

export class CryptoPool {
  readonly threads: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  readonly #free: ArrayBuffer[] = [];
  /** Idle shared slabs (encryptToPartsAsync with `recycle`), and those lent out. */
  readonly #slabs: SharedArrayBuffer[] = [];
  readonly #lentSlabs = new WeakSet<SharedArrayBuffer>();
  /** Slabs handed out by slabLease() and not yet sealed or discarded. */
  readonly #slabLeases = new WeakSet<SharedArrayBuffer>();
  /** Input buffers handed out by lease() and not yet given to a worker. */
  readonly #leases = new WeakSet<ArrayBuffer>();
  #nextId = 1;
  #closed = false;
  /** Batches the workers completed (sealed or opened, verified or not). */
  batchesRun = 0;
  /** Batch buffers allocated (not recycled): flat once a steady load has warmed the pool. */
  buffersAllocated = 0;

  /** `threads`: worker count, ≥ 1. Workers start on first use and do not keep the process
   * alive while idle. */
  constructor(opts: { threads: number }) {
    if (!Number.isInteger(opts.threads) || opts.threads < 1) {
      throw new RangeError('a crypto pool needs at least one thread');
    }
    this.threads = opts.threads;
  }

  /** Runs one batch of `cipher`'s object on a worker: seals plaintext or opens stored chunks
   * (see ChunkCipher.sealRunParts/openRunParts). `data` is copied before this returns, so the
   * caller may reuse it at once. Resolves with the output in order — sealed: ciphertext, tag
   * per chunk; opened: plaintext per chunk — as the worker's cipher produced it (transferred,
   * not copied). */
  run(
    cipher: ChunkCipher,
    op: 'seal' | 'open',
    data: Uint8Array | readonly Uint8Array[],
    chunkSize: number,
    firstIndex: number,
    final: boolean,
  ): Promise<Buffer[]> {
    if (this.#closed) return Promise.reject(new Error('crypto pool is closed'));
    const pieces = data instanceof Uint8Array ? [data] : data;
    let length = 0;
    for (const p of pieces) length += p.length;
    const leased = pieces.length === 1 ? this.#leasedInput(pieces[0]!) : undefined;
    const input = leased ?? this.#inputBuffer(MATERIAL_LENGTH + length);
    const view = new Uint8Array(input);
    cipher.exportMaterial(view, 0);
    if (!leased) {
      let off = MATERIAL_LENGTH;
      for (const p of pieces) {
        view.set(p, off);
        off += p.length;
      }
    }
    const job: WorkerJob = { id: this.#nextId++, op, input, length, chunkSize, firstIndex, final };
    return new Promise<Buffer[]>((resolve, reject) => {
      this.#queue.push({ job, resolve, reject });
      this.#dispatch();
    });
  }

  /** Seals one batch of `cipher`'s object on a worker, on shared memory: the plaintext of
   * chunk i is read at `shared[srcOffset + i·srcStride]`, the stored bytes (ciphertext ‖ tag
   * per chunk) are written at `shared[outOffset…]`. The caller must not touch either region
   * until the promise settles. Resolves with no parts. */
  runShared(
    cipher: ChunkCipher,
    shared: SharedArrayBuffer,
    srcOffset: number,
    srcStride: number,
    outOffset: number,
    length: number,
    chunkSize: number,
    firstIndex: number,
    final: boolean,
  ): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('crypto pool is closed'));
    const material = new ArrayBuffer(MATERIAL_LENGTH);
    cipher.exportMaterial(new Uint8Array(material), 0);
    const job: SharedSealJob = {
      id: this.#nextId++,
      op: 'seal-shared',
      material,
      shared,
      srcOffset,
      srcStride,
      outOffset,
      length,
      chunkSize,
      firstIndex,
      final,
    };
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ job, resolve: () => resolve(), reject });
      this.#dispatch();
    });
  }

  /** Seals one batch (`length` bytes of plaintext in `pieces`, chunks from `firstIndex`) on a
   * shared slab: the pieces are copied to the slab's end, after room for the tags, and the
   * worker seals chunk by chunk from there to the front (each chunk's output ends before the
   * next chunk's plaintext starts). Resolves with one Buffer over the slab holding the stored
   * bytes, lent until release(); on failure the slab is zeroed and not lent. */
  async sealOnSlab(
    cipher: ChunkCipher,
    pieces: Uint8Array | readonly Uint8Array[],
    length: number,
    chunkSize: number,
    firstIndex: number,
    final: boolean,
  ): Promise<Buffer[]> {
    const sealed = length + runChunks(length, chunkSize, final) * TAG_LENGTH;
    const only =
      pieces instanceof Uint8Array ? pieces : pieces.length === 1 ? pieces[0]! : undefined;
    const filled = only && this.#filledLease(only, chunkSize);
    // A slab lease (slabLease) already holds the plaintext where the worker reads it.
    const slab = filled ? (only.buffer as SharedArrayBuffer) : this.slab(sealed);
    const view = Buffer.from(slab, 0, sealed);
    const src = filled ? only.byteOffset : sealed - length;
    if (!filled) {
      let at = src;
      for (const p of pieces instanceof Uint8Array ? [pieces] : pieces) {
        view.set(p, at);
        at += p.length;
      }
    }
    try {
      await this.runShared(cipher, slab, src, chunkSize, 0, length, chunkSize, firstIndex, final);
    } catch (e) {
      // It held plaintext: a lease's may reach past the sealed length.
      (filled ? Buffer.from(slab) : view).fill(0);
      this.#lentSlabs.delete(slab);
      throw e;
    }
    // A short final batch sealed in a lease leaves the end of its plaintext past the output.
    if (src + length > sealed) Buffer.from(slab, sealed, src + length - sealed).fill(0);
    return [view];
  }

  /** A buffer of `BATCH_BYTES` inside a shared slab, for a write loop to gather one batch of
   * plaintext in as it arrives (each incoming piece copied at once, so the pieces die young),
   * then hand to sealOnSlab (BatchSealer.sealBatch) as the only piece: sealed where it lies,
   * no copy. It starts after room for the batch's tags (each chunk's output then ends before
   * the next chunk's plaintext starts). Undefined for chunks under 1 KiB (the tags would not
   * fit). Lent until sealed and released, or handed back with `discard()`. */
  slabLease(chunkSize: number): Buffer | undefined {
    const room = tagRoom(chunkSize);
    if (room + BATCH_BYTES > SLAB_BYTES) return undefined;
    const slab = this.slab(SLAB_BYTES);
    this.#slabLeases.add(slab);
    return Buffer.from(slab, room, BATCH_BYTES);
  }

  /** Whether `p` is a slab lease of this pool for chunks of `chunkSize` (taken over if so). */
  #filledLease(p: Uint8Array, chunkSize: number): boolean {
    const ab = p.buffer;
    return (
      ab instanceof SharedArrayBuffer &&
      p.byteOffset === tagRoom(chunkSize) &&
      this.#slabLeases.delete(ab)
    );
  }

  /** Gives back a slab lease that will not be sealed (a failed or abandoned write): zeroed,
   * since it may hold plaintext, then recycled. */
  discard(lease: Buffer): void {
    const ab = lease.buffer;
    if (!(ab instanceof SharedArrayBuffer) || !this.#slabLeases.delete(ab)) return;
    new Uint8Array(ab).fill(0);
    this.release([lease]);
  }

  /** A shared slab of at least `bytes` (recycled when ≤ SLAB_BYTES), lent until release(). */
  slab(bytes: number): SharedArrayBuffer {
    let b = bytes <= SLAB_BYTES ? this.#slabs.pop() : undefined;
    if (!b) {
      this.buffersAllocated++;
      b = new SharedArrayBuffer(Math.max(bytes, SLAB_BYTES));
    }
    this.#lentSlabs.add(b);
    return b;
  }

  #inputBuffer(bytes: number): ArrayBuffer {
    const b = bytes <= INPUT_BYTES ? this.#free.pop() : undefined;
    if (b) return b;
    this.buffersAllocated++;
    return new ArrayBuffer(Math.max(bytes, INPUT_BYTES));
  }

  /** A buffer of `bytes` (≤ BATCH_BYTES + 64 KiB) inside one of the pool's input buffers, for
   * a read loop to read a batch straight into: passed to run() (BatchOpener.openBatchParts) as
   * the only piece, it is handed to the worker as it is, with no copy, and is detached from
   * then on. Larger requests get a plain buffer (copied as usual). */
  lease(bytes: number): Buffer {
    if (bytes > INPUT_BYTES - MATERIAL_LENGTH) return Buffer.allocUnsafe(bytes);
    const ab = this.#inputBuffer(0);
    this.#leases.add(ab);
    return Buffer.from(ab, MATERIAL_LENGTH, bytes);
  }

  /** The input buffer behind `p` if `p` is a lease starting where a batch goes. */
  #leasedInput(p: Uint8Array): ArrayBuffer | undefined {
    const ab = p.buffer as ArrayBuffer;
    if (p.byteOffset !== MATERIAL_LENGTH || !this.#leases.delete(ab)) return undefined;
    return ab;
  }

  #recycle(b: ArrayBuffer): void {
    if (b.byteLength === INPUT_BYTES && this.#free.length < (JOBS_PER_WORKER + 1) * this.threads) {
      this.#free.push(b);
    }
  }

  /** Takes back the shared slabs of batches sealed with `recycle` (BatchSealer, the store's
   * put; encryptToPartsAsync) once the caller is done with them (written): they serve later
   * batches. The caller must not use them after. Anything else is ignored. */
  release(parts: readonly Buffer[]): void {
    for (const b of parts) {
      const ab = b.buffer;
      if (ab instanceof SharedArrayBuffer) {
        if (
          this.#lentSlabs.delete(ab) &&
          ab.byteLength === SLAB_BYTES &&
          this.#slabs.length < MAX_IDLE_SLABS
        ) {
          this.#slabs.push(ab);
        }
      }
    }
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.reduce<Slot | undefined>(
        (best, s) => (!best || s.jobs.size < best.jobs.size ? s : best),
        undefined,
      );
      if (!slot || (slot.jobs.size > 0 && this.#slots.length < this.threads)) {
        slot = this.#start();
      }
      if (slot.jobs.size >= JOBS_PER_WORKER) return;
      const p = this.#queue.shift()!;
      if (slot.jobs.size === 0) slot.worker.ref();
      slot.jobs.set(p.job.id, p);
      const j = p.job;
      slot.worker.postMessage(j, [j.op === 'seal-shared' ? j.material : j.input]);
    }
  }

  #start(): Slot {
    const slot: Slot = { worker: spawnWorker(), jobs: new Map() };
    slot.worker.unref();
    slot.worker.on('message', (r: WorkerReply | SharedReply) => this.#reply(slot, r));
    const fail = (why: string) => {
      const i = this.#slots.indexOf(slot);
      if (i < 0) return;
      this.#slots.splice(i, 1);
      const err = new Error(
        `crypto worker thread stopped (${why}) with ${slot.jobs.size} batch(es) in flight; ` +
          'the operation did not complete and nothing of it was returned: retry it, or set ' +
          'CMEK_CRYPTO_THREADS=0 to encrypt on the main thread',
      );
      for (const p of slot.jobs.values()) p.reject(err);
      slot.jobs.clear();
      if (!this.#closed) this.#dispatch();
    };
    slot.worker.on('error', (e) => fail(e.message));
    slot.worker.on('exit', (code) => fail(`exit code ${code}`));
    this.#slots.push(slot);
    return slot;
  }

  #reply(slot: Slot, r: WorkerReply | SharedReply): void {
    const p = slot.jobs.get(r.id);
    if (!p) return;
    slot.jobs.delete(r.id);
    if (slot.jobs.size === 0) slot.worker.unref();
    this.batchesRun++;
    if ('shared' in r) {
      if (r.ok) p.resolve([]);
      else p.reject(new Error(r.message));
    } else {
      this.#recycle(r.input);
      if (r.ok) p.resolve(r.parts.map((u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength)));
      else if (r.integrity) p.reject(new IntegrityError(r.integrity, r.message));
      else p.reject(new Error(r.message));
    }
    this.#dispatch();
  }

  /** @internal For tests: the running workers. */
  workers(): Worker[] {
    return this.#slots.map((s) => s.worker);
  }

  /** Stops the workers; batches in flight fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.splice(0);
    for (const p of this.#queue.splice(0)) p.reject(new Error('crypto pool is closed'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
    for (const s of slots) {
      for (const p of s.jobs.values()) p.reject(new Error('crypto pool is closed'));
    }
  }
}

let shared: { threads: number; pool: CryptoPool | undefined } | undefined;

/** The process-wide pool sized by cryptoThreads(); undefined when CMEK_CRYPTO_THREADS=0. */
export function defaultCryptoPool(): CryptoPool | undefined {
  const threads = cryptoThreads();
  if (!shared || shared.threads !== threads) {
    void shared?.pool?.close();
    shared = { threads, pool: threads > 0 ? new CryptoPool({ threads }) : undefined };
  }
  return shared.pool;
}

export interface PoolOptions {
  /** The pool to use; default defaultCryptoPool(). `null`: inline on the calling thread. */
  pool?: CryptoPool | null;
}

export interface BatchOptions extends PoolOptions {
  /** Batches shorter than this are sealed/opened on the calling thread; default
   * INLINE_THRESHOLD (a short last batch is not worth a round trip). */
  inlineBelow?: number;
  /** BatchSealer: a pooled batch is sealed in one of the pool's recycled shared slabs
   * (CryptoPool.sealOnSlab) and comes back as one Buffer over it, which the caller hands back
   * with release() once written (the store's put: one slab per batch in flight; nothing
   * transferred, no per-chunk garbage on the main thread). Default false: node:crypto's
   * per-chunk buffers, the caller's to keep. */
  recycle?: boolean;
}

function poolOf(opts: PoolOptions): CryptoPool | undefined {
  return opts.pool === null ? undefined : (opts.pool ?? defaultCryptoPool());
}

function lengthOf(data: Uint8Array | readonly Uint8Array[]): number {
  if (data instanceof Uint8Array) return data.length;
  let n = 0;
  for (const p of data) n += p.length;
  return n;
}

function joined(data: Uint8Array | readonly Uint8Array[], length: number): Buffer {
  if (data instanceof Uint8Array) {
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }
  return Buffer.concat(data as Uint8Array[], length);
}

const noop = (): void => undefined;

/** Results released in call order: each resolves only after every earlier one resolved, and
 * rejects if any earlier one rejected (nothing after the first failure). */
class Chain {
  #last: Promise<unknown> = Promise.resolve();
  add<T>(job: Promise<T>, discard: (value: T) => void): Promise<T> {
    job.catch(noop);
    const prev = this.#last;
    const result = prev.then(
      () => job,
      async (e: unknown) => {
        // An earlier batch failed: this one's output is dropped, never released.
        job.then(discard, noop);
        throw e;
      },
    );
    result.catch(noop);
    this.#last = result;
    return result;
  }
}

/** Seals an object batch by batch on the crypto pool: for a write loop (the object store's put)
 * that hands over a few MiB at a time and writes the parts with writev. Same bytes as
 * ObjectSealer and encryptToParts for the same key, object id and context. */
export class BatchSealer {
  readonly header: ObjectHeader;
  readonly headerBytes: Buffer;
  readonly #cipher: ChunkCipher;
  readonly #pool: CryptoPool | undefined;
  readonly #inlineBelow: number;
  readonly #recycle: boolean;
  readonly #chain = new Chain();
  #index = 0;
  #started = false;
  #done = false;

  constructor(opts: EncryptOptions & BatchOptions) {
    const { header, bytes } = newHeader(opts);
    this.header = header;
    this.headerBytes = bytes;
    this.#cipher = cipherFor(opts.dek, header, bytes, opts.context);
    this.#pool = poolOf(opts);
    this.#inlineBelow = opts.inlineBelow ?? INLINE_THRESHOLD;
    this.#recycle = opts.recycle ?? false;
  }

  /** With `recycle`: the parts of a sealed batch are written and no longer referenced; their
   * memory serves later batches. Parts that are not the pool's are left alone. */
  release(parts: readonly Buffer[]): void {
    this.#pool?.release(parts);
  }

  /** With `recycle` and a pool: a buffer of BATCH_BYTES to gather the next batch's plaintext in
   * (CryptoPool.slabLease), sealed where it lies when passed to sealBatch() alone (a view of
   * its first bytes for a shorter final batch). Undefined when there is nothing to gain (no
   * pool, no recycling, chunks under 1 KiB): then pass pieces as usual. A lease that will not
   * be sealed goes back with discard(). */
  lease(): Buffer | undefined {
    return this.#pool && this.#recycle ? this.#pool.slabLease(this.header.chunkSize) : undefined;
  }

  /** Gives back an unsealed lease (zeroed). */
  discard(lease: Buffer): void {
    this.#pool?.discard(lease);
  }

  /** Seals the next batch: whole chunks of plaintext (a multiple of the chunk size), or, with
   * `final`, the object's last bytes: 1 byte or more, or 0 only when it is the whole object
   * (the format's last chunk holds 1..C bytes, so a writer must hold its current batch until it
   * knows whether more follows). Returns the parts to write in order
   * — the header before the first batch, then ciphertext ‖ tag of every chunk as one buffer.
   * `plaintext` is copied (or sealed inline) before this returns: reuse it at once. Several
   * calls may be in flight; they resolve in call order. Batches below INLINE_THRESHOLD are
   * sealed on the calling thread. */
  sealBatch(plaintext: Uint8Array | readonly Uint8Array[], final = false): Promise<Buffer[]> {
    if (this.#done)
      return Promise.reject(new Error('BatchSealer: sealBatch() after the final batch'));
    const size = this.header.chunkSize;
    const length = lengthOf(plaintext);
    if (final && length === 0 && this.#index > 0) {
      // The last chunk sealed was not marked final and cannot be resealed: the final batch must
      // carry the object's last bytes (hold a batch back until you know whether more follows).
      return Promise.reject(
        new RangeError('BatchSealer: the final batch is empty but earlier batches were not'),
      );
    }
    const n = runChunks(length, size, final);
    if (this.#index + n > MAX_CHUNKS) {
      return Promise.reject(new RangeError('object too large for this chunk size'));
    }
    const first = this.#index;
    this.#index += n;
    const parts: Buffer[] = [];
    if (!this.#started) {
      this.#started = true;
      parts.push(this.headerBytes);
    }
    let job: Promise<Buffer[]>;
    if (!this.#pool || length < this.#inlineBelow) {
      const out = Buffer.allocUnsafe(length + n * TAG_LENGTH);
      const whole = joined(plaintext, length);
      try {
        this.#cipher.sealRun(whole, size, first, final, out, 0);
      } finally {
        this.#pool?.discard(whole); // a lease sealed here goes back (zeroed); others untouched
      }
      job = Promise.resolve([out]);
    } else if (this.#recycle) {
      job = this.#pool.sealOnSlab(this.#cipher, plaintext, length, size, first, final);
    } else {
      job = this.#pool.run(this.#cipher, 'seal', plaintext, size, first, final);
    }
    const result = this.#chain.add(job, noop).then((out) => {
      for (const b of out) parts.push(b);
      return parts;
    });
    result.catch(noop); // the caller sees the rejection; a batch it gave up on is no leak
    if (final) {
      this.#done = true;
      result.then(
        () => this.#cipher.wipe(),
        () => this.#cipher.wipe(),
      );
    }
    return result;
  }

  /** Abandons the object: the derived key is zeroed; batches in flight still settle. */
  close(): void {
    this.#done = true;
    this.#cipher.wipe();
  }
}

export function createBatchSealer(opts: EncryptOptions & BatchOptions): BatchSealer {
  return new BatchSealer(opts);
}

/** Opens an object batch by batch on the crypto pool: for a read loop (the object store's get)
 * that reads whole chunks at a time. Create it with `BatchOpener.open(headerPrefix, opts)`. */
export class BatchOpener {
  readonly header: ObjectHeader;
  /** Bytes of the header: the first chunk starts here. */
  readonly headerLength: number;
  /** Bytes of one stored chunk (chunk size + 16): batches must be whole multiples of it. */
  readonly stride: number;
  readonly #cipher: ChunkCipher;
  readonly #pool: CryptoPool | undefined;
  readonly #inlineBelow: number;
  readonly #chain = new Chain();
  #index = 0;
  #done = false;

  private constructor(
    header: ObjectHeader,
    headerLength: number,
    cipher: ChunkCipher,
    pool: CryptoPool | undefined,
    inlineBelow: number,
  ) {
    this.#inlineBelow = inlineBelow;
    this.header = header;
    this.headerLength = headerLength;
    this.stride = header.chunkSize + TAG_LENGTH;
    this.#cipher = cipher;
    this.#pool = pool;
  }

  /** `prefix`: the object's first bytes, at least its whole header (288 bytes always suffice).
   * Resolves the data key the header names. */
  static async open(prefix: Uint8Array, opts: DecryptOptions & BatchOptions): Promise<BatchOpener> {
    const { header, length } = decodeHeader(prefix);
    const headerBytes = Buffer.from(prefix.subarray(0, length));
    const dek = await resolveDek(opts.keys, header.dek);
    return new BatchOpener(
      header,
      length,
      cipherFor(dek, header, headerBytes, opts.context),
      poolOf(opts),
      opts.inlineBelow ?? INLINE_THRESHOLD,
    );
  }

  /** Opens the next batch of stored chunks: a whole multiple of `stride` bytes, or, with
   * `final`, the rest of the object (its last chunk included). Resolves with the plaintext
   * (one buffer) only once every chunk in it, and every earlier batch, verified; rejects with
   * an IntegrityError otherwise, and so does every later batch. `stored` is copied (or opened
   * inline) before this returns. Batches below INLINE_THRESHOLD are opened inline. */
  async openBatch(stored: Uint8Array | readonly Uint8Array[], final = false): Promise<Buffer> {
    const parts = await this.openBatchParts(stored, final);
    if (parts.length === 1) return parts[0]!;
    const out = Buffer.concat(parts);
    for (const p of parts) p.fill(0);
    return out;
  }

  /** A buffer of `bytes` to read the next stored batch into: passed alone to openBatchParts,
   * a pooled batch goes to the worker without being copied (CryptoPool.lease). The buffer
   * belongs to the opener from then on: do not reuse it. */
  lease(bytes: number): Buffer {
    return this.#pool && bytes >= this.#inlineBelow
      ? this.#pool.lease(bytes)
      : Buffer.allocUnsafe(bytes);
  }

  /** openBatch() without joining the plaintext into one buffer: the batch's plaintext in
   * order, as pieces (one per chunk from a worker; nothing is copied). Same guarantees. */
  openBatchParts(stored: Uint8Array | readonly Uint8Array[], final = false): Promise<Buffer[]> {
    if (this.#done)
      return Promise.reject(new Error('BatchOpener: openBatch() after the final batch'));
    const size = this.header.chunkSize;
    const length = lengthOf(stored);
    const n = final ? Math.ceil(length / this.stride) : length / this.stride;
    if (!final && !Number.isInteger(n)) {
      return Promise.reject(new RangeError('a batch must hold whole chunks'));
    }
    const first = this.#index;
    this.#index += n;
    let job: Promise<Buffer[]>;
    if (!this.#pool || length < this.#inlineBelow) {
      try {
        const out = Buffer.allocUnsafe(Math.max(length - n * TAG_LENGTH, 0));
        const len = this.#cipher.openRun(joined(stored, length), size, first, final, out, 0);
        job = Promise.resolve([out.subarray(0, len)]);
      } catch (e) {
        job = Promise.reject(e as Error);
      }
    } else {
      job = this.#pool.run(this.#cipher, 'open', stored, size, first, final);
    }
    const result = this.#chain.add(job, (pts) => {
      for (const pt of pts) pt.fill(0);
    });
    if (final) {
      this.#done = true;
      result.then(
        () => this.#cipher.wipe(),
        () => this.#cipher.wipe(),
      );
    }
    return result;
  }

  /** Abandons the object: the derived key is zeroed; batches in flight still settle. */
  close(): void {
    this.#done = true;
    this.#cipher.wipe();
  }
}

/** Bytes per batch for an object of `length` bytes: BATCH_BYTES, or less so that a smaller
 * object still spreads over every worker; always whole chunks. */
function batchBytes(length: number, chunkSize: number, threads: number): number {
  const perThread = Math.ceil(length / threads / chunkSize) * chunkSize;
  const cap = Math.max(chunkSize, Math.floor(BATCH_BYTES / chunkSize) * chunkSize);
  return Math.max(chunkSize, Math.min(cap, perThread));
}

export interface SealPartsOptions extends PoolOptions {
  /** Seal into the pool's recycled shared memory (see encryptToPartsAsync) and hand the parts
   * back with `CryptoPool.release(parts)` once consumed. Default false: the parts are the
   * caller's to keep. */
  recycle?: boolean;
}

/** encryptToParts on the crypto pool: the same parts' bytes (header, then ciphertext ‖ tag per
 * batch). Inline below INLINE_THRESHOLD or without a pool.
 *
 * Default: node:crypto's per-chunk outputs, transferred from the workers (nothing copied
 * back); at most 2 × threads batches in flight.
 *
 * With `recycle` (a caller that writes the parts and drops them, as the bench does): each
 * batch is sealed in one of the pool's shared slabs (SharedArrayBuffer, recycled): the main
 * thread copies the batch's plaintext chunks to their stored positions in a slab and posts
 * the batch at once, the worker seals the chunks where they lie and answers with one small
 * message. Nothing is transferred, received or collected on the main thread. The parts are
 * SharedArrayBuffer-backed Buffers (fs writes, hashing, Buffer.concat, sockets take them as
 * any Buffer); hand them back with `pool.release(parts)` once consumed and do not use them
 * after. Slabs are recycled because fresh memory is expensive: first-touch page faults on a
 * new 4 MiB buffer cost more than sealing it on this VM (docs/core.md, Performance). On any
 * failure every slab of the object is zeroed (they held plaintext) and the error thrown. */
export async function encryptToPartsAsync(
  plaintext: Uint8Array,
  opts: EncryptOptions & SealPartsOptions,
): Promise<Buffer[]> {
  const pool = poolOf(opts);
  if (!pool || plaintext.length < INLINE_THRESHOLD) return encryptToParts(plaintext, opts);
  if (opts.recycle) return sealOnSlabs(plaintext, opts, pool);
  const sealer = new BatchSealer({ ...opts, pool, inlineBelow: 0 });
  const step = batchBytes(plaintext.length, sealer.header.chunkSize, pool.threads);
  const inFlight: Promise<Buffer[]>[] = [];
  const parts: Buffer[] = [];
  try {
    for (let off = 0; ; off += step) {
      const end = Math.min(off + step, plaintext.length);
      const final = end === plaintext.length;
      inFlight.push(sealer.sealBatch(plaintext.subarray(off, end), final));
      if (inFlight.length >= 2 * pool.threads) parts.push(...(await inFlight.shift()!));
      if (final) break;
    }
    for (const p of inFlight) parts.push(...(await p));
  } catch (e) {
    sealer.close();
    throw e;
  }
  return parts;
}

/** encryptToPartsAsync with `recycle`: every batch sealed in a shared slab. */
async function sealOnSlabs(
  plaintext: Uint8Array,
  opts: EncryptOptions,
  pool: CryptoPool,
): Promise<Buffer[]> {
  const { header, bytes } = newHeader(opts);
  const size = header.chunkSize;
  const n = chunkCount(plaintext.length, size);
  if (n > MAX_CHUNKS) throw new RangeError('object too large for this chunk size');
  const cipher = cipherFor(opts.dek, header, bytes, opts.context);
  const stepChunks = Math.max(1, Math.floor(BATCH_BYTES / size));
  const jobs: Promise<Buffer[]>[] = [];
  try {
    for (let first = 0; first < n; first += stepChunks) {
      const count = Math.min(stepChunks, n - first);
      const start = first * size;
      const end = Math.min(start + count * size, plaintext.length);
      const final = first + count === n;
      const job = pool.sealOnSlab(
        cipher,
        plaintext.subarray(start, end),
        end - start,
        size,
        first,
        final,
      );
      job.catch(noop);
      jobs.push(job);
    }
    const done = await Promise.allSettled(jobs);
    const parts: Buffer[] = [bytes];
    for (const d of done) if (d.status === 'fulfilled') parts.push(...d.value);
    const failed = done.find((d) => d.status === 'rejected');
    if (failed) {
      // The failed batches zeroed their slabs; the sealed ones go back to the pool.
      pool.release(parts);
      throw failed.reason;
    }
    return parts;
  } finally {
    cipher.wipe();
  }
}

/** encryptBuffer on the crypto pool: the same bytes, one contiguous buffer. The batches are
 * sealed on the pool's shared slabs, copied into the result once and the slabs handed back,
 * so the main thread receives no per-chunk buffers. */
export async function encryptBufferAsync(
  plaintext: Uint8Array,
  opts: EncryptOptions & PoolOptions,
): Promise<Buffer> {
  const pool = poolOf(opts);
  const parts = await encryptToPartsAsync(plaintext, {
    ...opts,
    pool: pool ?? null,
    recycle: true,
  });
  const out = Buffer.concat(parts);
  pool?.release(parts);
  return out;
}

/** @internal decryptBuffer's pooled path for objects ≥ INLINE_THRESHOLD: batches opened on the
 * pool, copied into one output in order; on any failure the output is zeroed and not returned. */
export async function decryptWithPool(
  buf: Buffer,
  keys: DataKey | DekResolver,
  context: EncryptionContext,
  pool: CryptoPool,
): Promise<Buffer> {
  const opener = await BatchOpener.open(buf, { keys, context, pool, inlineBelow: 0 });
  const { header, headerLength, stride } = opener;
  const ptLen = plaintextLength(buf.length, header.chunkSize, headerLength);
  const out = Buffer.allocUnsafe(ptLen);
  const stepChunks = batchBytes(ptLen, header.chunkSize, pool.threads) / header.chunkSize;
  const step = stepChunks * stride;
  const inFlight: Promise<Buffer[]>[] = [];
  let off = 0;
  const take = async () => {
    for (const pt of await inFlight.shift()!) {
      off += pt.copy(out, off);
      pt.fill(0);
    }
  };
  try {
    for (let s = headerLength; ; s += step) {
      const final = s + step >= buf.length;
      inFlight.push(opener.openBatchParts(buf.subarray(s, final ? buf.length : s + step), final));
      if (inFlight.length >= 2 * pool.threads) await take();
      if (final) break;
    }
    while (inFlight.length > 0) await take();
  } catch (e) {
    opener.close();
    out.fill(0);
    throw e;
  }
  return out;
}

/** @internal Whether decryptBuffer should use the pool for `length` plaintext bytes. */
export function pooledFor(length: number, opts: PoolOptions): CryptoPool | undefined {
  return length >= INLINE_THRESHOLD ? poolOf(opts) : undefined;
}
