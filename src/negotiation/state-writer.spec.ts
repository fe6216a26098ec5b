// The worker's write-behind for tunnel states: writes kept through a PostgreSQL outage land in the
// order they were made once it returns; an error that is not an outage is not retried for ever.
import { StateWriter } from './state-writer';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('StateWriter', () => {
  it('keeps writes while PostgreSQL is away and stores them in order when it returns', async () => {
    let up = false;
    const stored: string[] = [];
    const logs: string[] = [];
    const w = new StateWriter({ retryDelaysMs: [5], log: (m) => logs.push(m) });
    const write = (v: string) => async () => {
      if (!up) throw refused();
      stored.push(v);
    };
    w.enqueue('t1', 'a', write('t1:connecting'));
    w.enqueue('t1', 'b', write('t1:connected'));
    w.enqueue('t2', 'c', write('t2:connecting'));
    await new Promise((r) => setTimeout(r, 50));
    expect(stored).toEqual([]);
    expect(w.pending()).toBe(3);
    expect(logs.join('\n')).toMatch(/PostgreSQL unavailable .*ECONNREFUSED.*3 tunnel state writes kept/);
    up = true;
    await w.idle();
    expect(stored.filter((s) => s.startsWith('t1'))).toEqual(['t1:connecting', 't1:connected']);
    expect(stored).toContain('t2:connecting');
    expect(logs.join('\n')).toMatch(/PostgreSQL is back/);
  });

  it('drops a write that fails for another reason (a row gone), and goes on', async () => {
    const stored: string[] = [];
    const w = new StateWriter({ retryDelaysMs: [5], log: () => undefined });
    w.enqueue('t1', 'bad', async () => {
      throw Object.assign(new Error('insert violates foreign key constraint'), { code: '23503' });
    });
    w.enqueue('t1', 'good', async () => void stored.push('ok'));
    await w.idle();
    expect(stored).toEqual(['ok']);
  });

  it('replaces a queued coalesced write and drops the oldest droppable beyond the cap', async () => {
    let up = false;
    const stored: string[] = [];
    const w = new StateWriter({ retryDelaysMs: [5], maxQueuedPerKey: 3, log: () => undefined });
    const write = (v: string) => async () => {
      if (!up) throw refused();
      stored.push(v);
    };
    w.enqueue('t', 'head', write('state1'));
    w.enqueue('t', 'p1', write('pairs1'), { coalesce: 'pairs' });
    w.enqueue('t', 'p2', write('pairs2'), { coalesce: 'pairs' });
    w.enqueue('t', 'e1', write('event1'), { droppable: true });
    w.enqueue('t', 'e2', write('event2'), { droppable: true });
    up = true;
    await w.idle();
    expect(stored).toEqual(['state1', 'pairs2', 'event2']);
  });

  it('runs at most maxConcurrent writes at once across tunnels, every tunnel still in order', async () => {
    const w = new StateWriter({ maxConcurrent: 3, log: () => undefined });
    let running = 0;
    let peak = 0;
    const stored: string[] = [];
    const write = (v: string) => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 2));
      stored.push(v);
      running--;
    };
    for (let t = 0; t < 20; t++) for (const v of ['connecting', 'connected']) w.enqueue(`t${t}`, v, write(`t${t}:${v}`));
    await w.idle();
    expect(peak).toBe(3);
    expect(stored).toHaveLength(40);
    for (let t = 0; t < 20; t++) expect(stored.indexOf(`t${t}:connecting`)).toBeLessThan(stored.indexOf(`t${t}:connected`));
  });
});
