import { AgentTarget } from './agent-target.entity';
import { AgentReport, ReportBatch } from './report-batch';

const target = (tokenHash: string) => Object.assign(new AgentTarget(), { id: `t-${tokenHash}`, tokenHash });
const report = (appliedVersion: string): AgentReport => ({ appliedVersion, agentVersion: '0.3.0', lastError: null });

describe('ReportBatch', () => {
  it("makes one statement of one turn's look-ups, a token twice once (its later report), and a new one for the next turn", async () => {
    const calls: { tokenHash: string; report: AgentReport | null }[][] = [];
    const batch = new ReportBatch(async (entries) => {
      calls.push(entries);
      return entries.filter((e) => e.tokenHash !== 'unknown').map((e) => target(e.tokenHash));
    });
    const first = await Promise.all([
      batch.lookUp('a', report('v1')),
      batch.lookUp('b', null),
      batch.lookUp('a', report('v2')),
      batch.lookUp('unknown', report('v1')),
    ]);
    expect(calls).toEqual([
      [
        { tokenHash: 'a', report: report('v2') },
        { tokenHash: 'b', report: null },
        { tokenHash: 'unknown', report: report('v1') },
      ],
    ]);
    expect(first.map((t) => t?.id ?? null)).toEqual(['t-a', 't-b', 't-a', null]);
    expect(first[0]).not.toBe(first[2]); // each poll its own copy
    expect((await batch.lookUp('b', null))?.id).toBe('t-b');
    expect(calls).toHaveLength(2);
  });

  it("fails every look-up of the turn with the statement's error, thrown or rejected, and recovers", async () => {
    let fail: 'throw' | 'reject' | null = 'throw';
    const batch = new ReportBatch((entries) => {
      if (fail === 'throw') throw new Error('sync');
      if (fail === 'reject') return Promise.reject(new Error('async'));
      return Promise.resolve(entries.map((e) => target(e.tokenHash)));
    });
    await expect(Promise.all([batch.lookUp('a', null), batch.lookUp('b', null)])).rejects.toThrow('sync');
    fail = 'reject';
    const both = await Promise.allSettled([batch.lookUp('a', null), batch.lookUp('b', report('v'))]);
    expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = null;
    expect((await batch.lookUp('a', null))?.id).toBe('t-a');
  });
});
