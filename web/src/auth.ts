// The session: the API key and the role, kept in sessionStorage (gone when the tab closes).
export type Role = 'operator' | 'tenant';

const KEY = 'vpnConsole.apiKey';
const ROLE = 'vpnConsole.role';

export function getApiKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function getRole(): Role | null {
  const r = sessionStorage.getItem(ROLE);
  return r === 'operator' || r === 'tenant' ? r : null;
}

export function saveSession(apiKey: string, role: Role): void {
  sessionStorage.setItem(KEY, apiKey);
  sessionStorage.setItem(ROLE, role);
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(ROLE);
}

/**
 * Which kind of key this is, from GET /api/v1/me (no failing request on a normal login); an
 * unknown or revoked key gets 401 (returned as null).
 */
export async function probeRole(apiKey: string): Promise<Role | null | 'error'> {
  try {
    const res = await fetch('/api/v1/me', { headers: { Authorization: `Bearer ${apiKey}`, 'X-Login-Probe': '1' } });
    if (res.status === 401) return null;
    if (!res.ok) return 'error';
    const me = (await res.json()) as { role?: string };
    return me.role === 'admin' ? 'operator' : me.role === 'tenant' ? 'tenant' : 'error';
  } catch {
    return 'error';
  }
}
