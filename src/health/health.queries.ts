import { DataSource } from 'typeorm';

/** The health endpoint's two reads: whether PostgreSQL answers, and which migrations it has applied. */
export class HealthQueries {
  constructor(private readonly db: DataSource) {}

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  async appliedMigrations(): Promise<Set<string>> {
    const rows: { name: string }[] = await this.db.query('SELECT name FROM migrations');
    return new Set(rows.map((r) => r.name));
  }
}
