import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import {
  acquireLock,
  forceUnlock,
  lockPath,
  parseDuration,
  readLockInfo,
} from '../../src/engine/lock.js';
import {
  emptyState,
  loadState,
  setInstance,
  stateInstances,
  StateWriter,
} from '../../src/engine/state.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'cmek-state-'));

describe('state file', () => {
  it('missing → null; corrupt variants → STATE_CORRUPT', () => {
    const dir = tmp();
    expect(loadState(join(dir, 'terraform.tfstate'))).toEqual({ state: null, diagnostics: [] });
    for (const text of [
      '',
      '{',
      '[]',
      '{"version":3,"serial":1,"lineage":"x","resources":[]}',
      '{"version":4,"lineage":"x","resources":[]}',
      '{"version":4,"serial":1,"lineage":"x","resources":[{"type":"a"}]}',
    ]) {
      writeFileSync(join(dir, 's'), text);
      const r = loadState(join(dir, 's'));
      expect(r.state, text).toBeNull();
      expect(
        r.diagnostics.map((d) => d.code),
        text,
      ).toEqual(['STATE_CORRUPT']);
    }
  });

  it('setInstance keeps Terraform ordering, count layout, and removes empty resources', () => {
    const s = emptyState('lin');
    setInstance(s, 'b_t', 'x', undefined, {
      schema_version: 0,
      attributes: { id: 'b' },
      sensitive_attributes: [],
    });
    setInstance(s, 'a_t', 'y', 1, {
      schema_version: 0,
      attributes: { id: 'y1' },
      sensitive_attributes: [],
    });
    setInstance(s, 'a_t', 'y', 0, {
      schema_version: 0,
      attributes: { id: 'y0' },
      sensitive_attributes: [],
    });
    expect(s.resources.map((r) => `${r.type}.${r.name}`)).toEqual(['a_t.y', 'b_t.x']);
    expect(s.resources[0]!.each).toBe('list');
    expect(s.resources[0]!.instances.map((i) => i.index_key)).toEqual([0, 1]);
    expect(stateInstances(s).map((e) => e.address)).toEqual(['a_t.y[0]', 'a_t.y[1]', 'b_t.x']);
    setInstance(s, 'b_t', 'x', undefined, null);
    expect(s.resources.map((r) => r.name)).toEqual(['y']);
  });

  it('StateWriter: serial per write, backup of the state before the run, no temp files left', async () => {
    const dir = tmp();
    const path = join(dir, 'terraform.tfstate');
    writeFileSync(path, 'PREVIOUS');
    const s = emptyState('lin');
    s.serial = 7;
    const w = new StateWriter(path, s, 'PREVIOUS');
    // Three completions at once share one write (each caller resumes once it is on disk).
    await Promise.all([w.persist(), w.persist(), w.persist()]);
    expect(JSON.parse(readFileSync(path, 'utf8')).serial).toBe(8);
    await w.persist();
    s.outputs.x = { value: 'y', type: 'string' };
    await w.persist();
    const onDisk = JSON.parse(readFileSync(path, 'utf8'));
    expect(onDisk.serial).toBe(10);
    expect(onDisk.outputs.x.value).toBe('y');
    expect(readFileSync(`${path}.backup`, 'utf8')).toBe('PREVIOUS');
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir).sort()).toEqual(['terraform.tfstate', 'terraform.tfstate.backup']);
  });
});

describe('state lock', () => {
  it('is exclusive; names holder and ID; release removes only our own lock', async () => {
    const dir = tmp();
    const state = join(dir, 'terraform.tfstate');
    const a = await acquireLock(state, { operation: 'OperationTypeApply' });
    const info = readLockInfo(lockPath(state))!;
    expect(info).toMatchObject({
      ID: a.info.ID,
      Operation: 'OperationTypeApply',
      Path: state,
      Version: '0.1.0',
    });
    expect(info.Who).toMatch(/.+@.+/);
    expect(Date.parse(info.Created)).not.toBeNaN();
    const err = await acquireLock(state, { operation: 'OperationTypePlan' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DiagnosticError);
    const d = (err as DiagnosticError).diagnostics[0]!;
    expect(d.code).toBe('STATE_LOCKED');
    expect(d.detail).toContain(a.info.ID);
    expect(d.detail).toContain(`cmek force-unlock ${a.info.ID}`);
    a.release();
    expect(existsSync(lockPath(state))).toBe(false);
  });

  it('-lock-timeout waits for the holder to release', async () => {
    const state = join(tmp(), 'terraform.tfstate');
    const a = await acquireLock(state, { operation: 'x' });
    setTimeout(() => a.release(), 30);
    const b = await acquireLock(state, { operation: 'y', timeoutMs: 5000 });
    expect(readLockInfo(lockPath(state))!.ID).toBe(b.info.ID);
    b.release();
  });

  it('force-unlock needs the matching ID; a dead holder on this host gets a hint but keeps the lock', async () => {
    const state = join(tmp(), 'terraform.tfstate');
    writeFileSync(
      lockPath(state),
      JSON.stringify({
        ID: 'abc',
        Operation: 'op',
        Who: 'w@h',
        Version: '0',
        Created: '',
        Path: state,
        Pid: 2 ** 22 + 7,
        Host: hostname(),
      }),
    );
    const err = (await acquireLock(state, { operation: 'x' }).catch(
      (e: unknown) => e,
    )) as DiagnosticError;
    expect(err.diagnostics[0]!.detail).toContain('no longer running');
    expect(existsSync(lockPath(state))).toBe(true);
    expect(forceUnlock(state, 'nope').map((d) => d.code)).toEqual(['USAGE']);
    expect(forceUnlock(state, 'abc')).toEqual([]);
    expect(existsSync(lockPath(state))).toBe(false);
  });

  it('parses terraform durations', () => {
    expect(parseDuration('0s')).toBe(0);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('5')).toBe(5000);
    expect(parseDuration('soon')).toBeUndefined();
  });
});
