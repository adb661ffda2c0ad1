// The control plane's event log: `<data_dir>/events.log`, append-only JSON lines of what
// happened to a service and why (created, updated, rotated, status changes, deleted). Appends
// use O_APPEND, one write per line, so concurrent processes never interleave within a line.
import { promises as fsp } from 'node:fs';
import { appendLine } from './fsutil.js';
import type { ServiceEvent, ServiceRecord } from './types.js';

export class EventLog {
  readonly path: string;
  readonly #now: () => Date;

  constructor(path: string, now: () => Date) {
    this.path = path;
    this.#now = now;
  }

  async append(
    rec: Pick<ServiceRecord, 'id' | 'name'>,
    type: ServiceEvent['type'],
    reason: string,
    extra: Partial<ServiceEvent> = {},
  ): Promise<void> {
    const ev: ServiceEvent = {
      time: this.#now().toISOString(),
      serviceId: rec.id,
      name: rec.name,
      type,
      ...extra,
      reason,
    };
    await appendLine(this.path, JSON.stringify(ev));
  }

  /** Every event, or a service's, oldest first. */
  async read(serviceId?: string): Promise<ServiceEvent[]> {
    let text = '';
    try {
      text = await fsp.readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ServiceEvent)
      .filter((e) => serviceId === undefined || e.serviceId === serviceId);
  }
}
