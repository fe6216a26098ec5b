import { AgentTarget } from './agent-target.entity';

/** What an agent says it applied, riding on its poll (recorded as `POST /report` records it). */
export interface AgentReport {
  appliedVersion: string;
  /** X-Agent-Version; null keeps the stored one. */
  agentVersion: string | null;
  lastError: string | null;
}

interface Pending {
  report: AgentReport | null;
  waiters: { resolve: (t: AgentTarget | null) => void; reject: (err: unknown) => void }[];
}

/**
 * The agent token look-ups of one event-loop turn, as one statement: after a route change every
 * agent's poll (carrying its report) arrives within milliseconds, and one statement per poll was
 * most of the API's database work. The look-ups that carry a report write it in the same statement
 * (`UPDATE ... FROM unnest(...) RETURNING`: the report is the poll's check-in too); the others only
 * read. A token twice in one turn is looked up once (the later report wins; both polls get the row).
 * A failed statement fails every look-up of its turn with the same error.
 */
export class ReportBatch {
  private pending = new Map<string, Pending>();
  private scheduled = false;

  /** `lookUpAll`: the statement (RouteQueries.targetsWithTokens), the targets found with their token hashes. */
  constructor(private readonly lookUpAll: (entries: { tokenHash: string; report: AgentReport | null }[]) => Promise<AgentTarget[]>) {}

  /** The target of this token hash (null: none), after recording `report` on it. */
  lookUp(tokenHash: string, report: AgentReport | null): Promise<AgentTarget | null> {
    return new Promise((resolve, reject) => {
      const entry = this.pending.get(tokenHash);
      if (entry) {
        if (report) entry.report = report;
        entry.waiters.push({ resolve, reject });
      } else {
        this.pending.set(tokenHash, { report, waiters: [{ resolve, reject }] });
      }
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate: after the I/O callbacks of this turn (the requests it parsed, the Redis
        // replies it read), so their look-ups join the same statement.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    // Inside a promise: a synchronous throw must reject the polls, not escape setImmediate.
    Promise.resolve([...batch].map(([tokenHash, { report }]) => ({ tokenHash, report })))
      .then((entries) => this.lookUpAll(entries))
      .then(
        (targets) => {
          const found = new Map(targets.map((t) => [t.tokenHash!, t]));
          for (const [hash, { waiters }] of batch) {
            const row = found.get(hash);
            // Each poll its own object (a poll may change its copy).
            for (const w of waiters) w.resolve(row ? Object.assign(new AgentTarget(), row) : null);
          }
        },
        (err: unknown) => {
          for (const { waiters } of batch.values()) for (const w of waiters) w.reject(err);
        },
      );
  }
}
