// The worker's write-behind for tunnel states: writes kept through a PostgreSQL outage land in the
// order they were made once it returns; many tunnels' writes go in one batch, each tunnel's in
// order; an error that is not an outage drops only the write it is about.
import { StateWriter, StateWriterOptions } from './state-writer';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const fkViolation = () => Object.assign(new Error('insert violates foreign key constraint'), { code: '23503' });

/** A writer of "key:value" strings whose flush records each batch; `fail` decides per batch. */
function recordingWriter(opts: Partial<StateWriterOptions<string>> & { fail?: (batch: string[]) => Error | null; delayMs?: number } = {}) {
  const batches: string[][] = [];
  const stored: string[] = [];
  const logs: string[] = [];
  let running = 0;
  let peak = 0;
  const w = new StateWriter<string>({
    retryDelaysMs: [5],
    log: (m) => logs.push(m),
    ...opts,
    flush: async (batch) => {
      running++;
      peak = Math.max(peak, running);
      try {
        if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
        const err = opts.fail?.(batch);
        if (err) throw err;
        batches.push(batch);
        stored.push(...batch);
      } finally {
        running--;
      }
    },
  });
  const enqueue = (v: string, o = {}) => w.enqueue(v.split(':')[0], v, v, o);
  return { w, enqueue, batches, stored, logs, peak: () => peak };
}

describe('StateWriter', () => {
  it('keeps writes while PostgreSQL is away and stores them in order when it returns', async () => {
    let up = false;
    const r = recordingWriter({ fail: () => (up ? null : refused()) });
    r.enqueue('t1:connecting');
    r.enqueue('t1:connected');
    r.enqueue('t2:connecting');
    await new Promise((res) => setTimeout(res, 50));
    expect(r.stored).toEqual([]);
    expect(r.w.pending()).toBe(3);
    expect(r.logs.join('\n')).toMatch(/PostgreSQL unavailable .*ECONNREFUSED.*3 tunnel state writes kept/);
    up = true;
    await r.w.idle();
    expect(r.stored.filter((s) => s.startsWith('t1'))).toEqual(['t1:connecting', 't1:connected']);
    expect(r.stored).toContain('t2:connecting');
    expect(r.logs.join('\n')).toMatch(/PostgreSQL is back/);
  });

  it('drops only the write that fails for another reason (a row gone), and goes on', async () => {
    // A batch holding the bad write is refused as a whole: its writes are then tried one by one.
    const r = recordingWriter({ fail: (batch) => (batch.includes('t2:bad') ? fkViolation() : null), delayMs: 2 });
    r.enqueue('t0:first'); // goes alone; the rest gather behind it
    for (const v of ['t1:a', 't2:bad', 't3:a', 't2:good', 't1:b']) r.enqueue(v);
    await r.w.idle();
    expect(r.stored.sort()).toEqual(['t0:first', 't1:a', 't1:b', 't2:good', 't3:a']);
    expect(r.logs.join('\n')).toMatch(/t2:bad dropped: .*foreign key/);
    expect(r.logs.join('\n')).not.toMatch(/t1:a dropped|t3:a dropped/);
  });

  it('replaces a queued coalesced write and drops the oldest droppable beyond the cap', async () => {
    let up = false;
    const r = recordingWriter({ maxQueuedPerKey: 3, fail: () => (up ? null : refused()) });
    r.enqueue('t:state1');
    r.enqueue('t:pairs1', { coalesce: 'pairs' });
    r.enqueue('t:pairs2', { coalesce: 'pairs' });
    r.enqueue('t:event1', { droppable: true });
    r.enqueue('t:event2', { droppable: true });
    up = true;
    await r.w.idle();
    expect(r.stored).toEqual(['t:state1', 't:pairs2', 't:event2']);
  });

  it('stores the heads of many tunnels in one batch, each tunnel once per batch and in order, two batches at most at once', async () => {
    const r = recordingWriter({ delayMs: 5, maxBatch: 50 });
    r.enqueue('lone:applied');
    await r.w.idle();
    expect(r.batches).toEqual([['lone:applied']]); // an idle writer does not wait to gather

    for (let t = 0; t < 100; t++) for (const v of ['applied', 'connecting', 'connected']) r.enqueue(`t${t}:${v}`);
    await r.w.idle();
    expect(r.stored).toHaveLength(301);
    expect(r.peak()).toBe(2);
    const batches = r.batches.slice(1);
    // 300 writes of 100 tunnels in batches of at most 50: far fewer statements than writes.
    expect(batches.length).toBeLessThanOrEqual(8);
    for (const b of batches) {
      expect(b.length).toBeLessThanOrEqual(50);
      const keys = b.map((v) => v.split(':')[0]);
      expect(new Set(keys).size).toBe(keys.length);
    }
    for (let t = 0; t < 100; t++) {
      const order = ['applied', 'connecting', 'connected'].map((v) => r.stored.indexOf(`t${t}:${v}`));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });

  it('close() drops what is queued and idle() resolves once the batch being stored is done', async () => {
    const r = recordingWriter({ delayMs: 20, maxConcurrent: 1, maxBatch: 1 });
    r.enqueue('t1:a');
    r.enqueue('t2:a');
    r.enqueue('t1:b');
    const idle = r.w.idle();
    r.w.close();
    await idle;
    expect(r.stored).toEqual(['t1:a']);
    r.enqueue('t3:a');
    expect(r.w.pending()).toBe(0);
  });
});
