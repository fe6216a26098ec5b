// A broken rule, as the API reports it: which field, which rule, the offending value, and a
// sentence that says how to fix it. Pure validators return these; the HTTP edge maps them to 400/409.
export interface Violation {
  field: string;
  rule: string;
  value: unknown;
  message: string;
}

export function violation(field: string, rule: string, value: unknown, message: string): Violation {
  return { field, rule, value, message };
}

/** The outcome of a validator that also normalises: either the clean value or what was wrong. */
export type Checked<T> = { ok: true; value: T } | { ok: false; violations: Violation[] };
