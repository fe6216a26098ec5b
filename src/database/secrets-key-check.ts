// Pre-shared keys are sealed with SECRETS_KEY. Started with another key (a lost .run/secrets.env, a
// second checkout on the same database), the API would take new tunnels while every stored key
// stays unreadable and those tunnels fail in the worker: the processes refuse to start instead.
import { Client } from 'pg';
import { SecretBox } from '../common/secret-box';

export class SecretsKeyMismatch extends Error {}

/** Throws SecretsKeyMismatch when the database holds a sealed key that `key` cannot open. */
export async function assertSecretsKeyOpensStoredKeys(databaseUrl: string, key: Buffer): Promise<void> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c
      .query<{ id: string; psk_sealed: string }>('SELECT id, psk_sealed FROM vpn_tunnels ORDER BY created_at DESC LIMIT 1')
      .catch((err: { code?: string }) => {
        if (err.code === '42P01') return { rows: [] }; // not migrated yet: nothing stored
        throw err;
      });
    if (!r.rows.length) return;
    try {
      new SecretBox(key).open(r.rows[0].psk_sealed);
    } catch {
      throw new SecretsKeyMismatch(
        `SECRETS_KEY does not open the pre-shared keys stored in this database (tunnel ${r.rows[0].id}): ` +
          'start with the key they were sealed with (npm start keeps it in .run/secrets.env), or use another database.',
      );
    }
  } finally {
    await c.end();
  }
}
