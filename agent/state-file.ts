// The last fully applied version and its routes, so a restarted agent can report what it had and
// put the routes back when the API cannot be reached (the data path must not need the API).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DesiredRoute, normalizeDesired } from './routes';

export interface AgentStateFile {
  version: string;
  routes: DesiredRoute[];
  appliedAt: string; // ISO time
}

export function loadStateFile(path: string): AgentStateFile | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const raw = JSON.parse(text) as Partial<AgentStateFile>;
  if (typeof raw.version !== 'string' || !Array.isArray(raw.routes)) throw new Error(`${path}: not an agent state file`);
  return { version: raw.version, routes: normalizeDesired(raw.routes).routes, appliedAt: String(raw.appliedAt ?? '') };
}

export function saveStateFile(path: string, state: AgentStateFile): void {
  mkdirSync(dirname(path), { recursive: true });
  // Write-then-rename: a crash never leaves half a file.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, path);
}
