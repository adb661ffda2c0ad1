// The shared helpers of src/support and the one duration parser.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/model/duration.js';
import { parseDuration as lockTimeout } from '../../src/engine/lock.js';
import { sweepTempFiles, tempPathFor, writeFileAtomicSync } from '../../src/support/atomic.js';
import {
  acquireLockFile,
  readLock,
  tryCreateLock,
  unreadableLockId,
  newLockInfo,
} from '../../src/support/lock.js';
import { processAlive, thisProcess } from '../../src/support/process.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'cmek-support-'));
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('processAlive', () => {
  it('pid + start time: a reused pid is not the recorded process', () => {
    const me = thisProcess();
    expect(processAlive(me)).toBe(true);
    expect(processAlive({ ...me, pid: deadPid() })).toBe(false);
    if (me.started) expect(processAlive({ ...me, started: `${me.started}1` })).toBe(false);
    expect(processAlive({ pid: me.pid, host: 'elsewhere.example' })).toBeUndefined();
  });
});

describe('lock files', () => {
  it('are created complete or not at all; unreadable ones get a content ID and are breakable', async () => {
    const dir = tmp();
    const path = join(dir, 'x.lock');
    const info = newLockInfo({ operation: 'test', path });
    expect(await tryCreateLock(path, info)).toBe(true);
    expect(await tryCreateLock(path, newLockInfo({ operation: 'other', path }))).toBe(false);
    const held = await readLock(path);
    expect(held).toMatchObject({ kind: 'held', id: info.ID, alive: true });
    expect(readdirSync(dir)).toEqual(['x.lock']); // no temp left beside it
    writeFileSync(path, '');
    expect(await readLock(path)).toMatchObject({ kind: 'unreadable', id: unreadableLockId('') });
    const t0 = Date.now();
    const lock = await acquireLockFile(path, {
      operation: 't',
      timeoutMs: 5000,
      breakStale: true,
      onTimeout: () => new Error('timed out'),
    });
    expect(Date.now() - t0).toBeLessThan(2000);
    // A live holder is not broken: the deadline passes.
    await expect(
      acquireLockFile(path, {
        operation: 't',
        timeoutMs: 100,
        breakStale: true,
        onTimeout: (_p, h) => new Error(`held ${h.kind}`),
      }),
    ).rejects.toThrow('held held');
    await lock.release();
    expect(await readLock(path)).toEqual({ kind: 'free' });
  });
});

describe('temp files', () => {
  it('sweep removes only files of dead writers', async () => {
    const dir = tmp();
    const mine = tempPathFor(join(dir, 'obj'));
    writeFileSync(mine, 'x');
    writeFileSync(join(dir, `.obj.${deadPid()}-0.0123456789ab.tmp`), 'x');
    writeFileSync(join(dir, `.obj.${deadPid()}.0123456789ab.tmp`), 'x'); // older naming
    writeFileSync(join(dir, 'obj'), 'keep');
    expect(await sweepTempFiles(dir)).toBe(2);
    expect(readdirSync(dir).sort()).toEqual([mine.slice(dir.length + 1), 'obj'].sort());
    writeFileAtomicSync(join(dir, 'state'), 'v1');
    expect(readdirSync(dir)).toContain('state');
    expect(hostname()).toBe(thisProcess().host);
  });
});

describe('parseDuration (one parser)', () => {
  it('Go grammar for key_check_interval; bare seconds only for -lock-timeout', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10')).toBeUndefined();
    expect(parseDuration('10x')).toBeUndefined();
    expect(lockTimeout('10')).toBe(10_000);
    expect(lockTimeout('0s')).toBe(0);
    expect(lockTimeout('1m30s')).toBe(90_000);
    expect(lockTimeout('soon')).toBeUndefined();
  });
});
