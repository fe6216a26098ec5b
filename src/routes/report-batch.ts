import { DataSource } from 'typeorm';
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

const COLUMNS = `id, tenant_id AS "tenantId", kind, vpc_id AS "vpcId", subnet_id AS "subnetId", instance_id AS "instanceId",
  token_hash AS "tokenHash", token_prefix AS "tokenPrefix", token_issued_at AS "tokenIssuedAt", agent_version AS "agentVersion",
  last_check_in_at AS "lastCheckInAt", applied_version AS "appliedVersion", last_error AS "lastError",
  last_report_at AS "lastReportAt", created_at AS "createdAt"`;

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

  constructor(private readonly db: Pick<DataSource, 'query'>) {}

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
    const hashes: string[] = [];
    const reported: boolean[] = [];
    const applied: (string | null)[] = [];
    const versions: (string | null)[] = [];
    const errors: (string | null)[] = [];
    for (const [hash, { report }] of batch) {
      hashes.push(hash);
      reported.push(!!report);
      applied.push(report?.appliedVersion ?? null);
      versions.push(report?.agentVersion ?? null);
      errors.push(report?.lastError ?? null);
    }
    this.db
      .query(
        `WITH r AS (SELECT * FROM unnest($1::char(64)[], $2::bool[], $3::text[], $4::text[], $5::text[]) AS r(hash, reported, applied, agent_version, error)),
         u AS (UPDATE agent_targets t
                  SET applied_version = r.applied, agent_version = COALESCE(r.agent_version, t.agent_version), last_error = r.error,
                      last_report_at = now(), last_check_in_at = now()
                 FROM r WHERE t.token_hash = r.hash AND r.reported
               RETURNING t.*)
         SELECT ${COLUMNS} FROM u
         UNION ALL
         SELECT ${COLUMNS} FROM agent_targets WHERE token_hash IN (SELECT hash FROM r WHERE NOT reported)`,
        [hashes, reported, applied, versions, errors],
      )
      .then(
        (rows: Partial<AgentTarget>[]) => {
          const found = new Map(rows.map((row) => [row.tokenHash!, row]));
          for (const [hash, { waiters }] of batch) {
            const row = found.get(hash);
            for (const w of waiters) w.resolve(row ? Object.assign(new AgentTarget(), row) : null);
          }
        },
        (err: unknown) => {
          for (const { waiters } of batch.values()) for (const w of waiters) w.reject(err);
        },
      );
  }
}
