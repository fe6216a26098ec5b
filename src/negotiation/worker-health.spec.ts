import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { judgeWorkerHealth, WorkerHealth, workerMemory, writeWorkerHealth } from './worker-health';

const at = Date.parse('2026-12-05T10:00:00Z');
const health = (over: Partial<WorkerHealth> = {}): WorkerHealth => ({
  hostId: 'h1',
  pid: 1,
  writtenAt: new Date(at).toISOString(),
  lease: { held: true, msLeft: 3000, fenced: false },
  gateways: { served: 2, charonsRunning: 2 },
  memory: { rssBytes: 150 * 2 ** 20, heapUsedBytes: 40 * 2 ** 20 },
  ...over,
});

describe('worker health', () => {
  it('is healthy while rewritten recently; stale means stuck or gone', () => {
    expect(judgeWorkerHealth(health(), at + 5000, 15_000)).toEqual({ ok: true, problems: [] });
    expect(judgeWorkerHealth(health(), at + 16_000, 15_000)).toMatchObject({ ok: false, problems: [expect.stringContaining('not rewritten for 16 s')] });
    expect(judgeWorkerHealth(health({ writtenAt: 'garbage' }), at, 15_000).ok).toBe(false);
  });

  it('a lapsed or fenced lease fails only when the lease is required (readiness), never liveness', () => {
    const fenced = health({ lease: { held: false, msLeft: 0, fenced: true } });
    expect(judgeWorkerHealth(fenced, at, 15_000).ok).toBe(true);
    expect(judgeWorkerHealth(fenced, at, 15_000, true)).toMatchObject({ ok: false, problems: [expect.stringContaining('fenced')] });
    expect(judgeWorkerHealth(health({ lease: { held: false, msLeft: 0, fenced: false } }), at, 15_000, true).problems).toEqual(['the lease is not held']);
    // A charon down is the worker's to restart: reported, not a verdict.
    expect(judgeWorkerHealth(health({ gateways: { served: 2, charonsRunning: 1 } }), at, 15_000, true).ok).toBe(true);
  });

  it("carries the worker's memory: its RSS and V8's heap in use, in bytes, never a verdict", () => {
    const m = workerMemory();
    expect(m).toEqual({ rssBytes: expect.any(Number), heapUsedBytes: expect.any(Number) });
    // Bytes, not MiB or KiB: this jest process holds tens of MiB of heap, and its heap lives in its RSS.
    expect(m.heapUsedBytes).toBeGreaterThan(2 ** 20);
    expect(m.rssBytes).toBeGreaterThan(m.heapUsedBytes);
    expect(judgeWorkerHealth(health({ memory: { rssBytes: 2 ** 40, heapUsedBytes: 2 ** 39 } }), at, 15_000, true).ok).toBe(true);
  });

  it('writes the file whole', () => {
    const dir = mkdtempSync(join(tmpdir(), 'worker-health-'));
    try {
      writeWorkerHealth(join(dir, 'h.json'), health());
      expect(JSON.parse(readFileSync(join(dir, 'h.json'), 'utf8'))).toEqual(health());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates the gateways directory when the first tick comes before any gateway made it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'worker-health-'));
    try {
      writeWorkerHealth(join(dir, 'gateways', 'h.json'), health());
      expect(JSON.parse(readFileSync(join(dir, 'gateways', 'h.json'), 'utf8'))).toEqual(health());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
