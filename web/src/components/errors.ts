// Shows the API's refusals: field violations go onto the form fields they name, the rest into a
// message. `ikePolicy.dhGroup` -> ['ikePolicy','dhGroup']; `remoteCidrs[1]` -> ['remoteCidrs'].
import { useState } from 'react';
import { App, type FormInstance } from 'antd';
import type { MessageInstance } from 'antd/es/message/interface';
import i18n from '../i18n';
import { ApiError, type Violation } from '../api/client';

export function fieldPath(field: string): (string | number)[] {
  return field
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/**
 * Puts each violation on its form field (when the form has it, or `alias` maps it) and returns
 * the violations no field took.
 */
export function applyViolations(form: FormInstance, violations: Violation[], alias: Record<string, (string | number)[]> = {}): Violation[] {
  const byField = new Map<string, { name: (string | number)[]; errors: string[] }>();
  const rest: Violation[] = [];
  const known = new Set(Object.keys(flatten(form.getFieldsValue(true))));
  for (const v of violations) {
    const base = v.field.replace(/\[\d+\]/g, '').replace(/\.\d+(?=\.|$)/g, '');
    const name = alias[base] ?? alias[v.field] ?? fieldPath(v.field);
    if (!alias[base] && !alias[v.field] && !known.has(name.join('.'))) {
      rest.push(v);
      continue;
    }
    const k = name.join('.');
    const entry = byField.get(k) ?? { name, errors: [] };
    entry.errors.push(v.message);
    byField.set(k, entry);
  }
  form.setFields([...byField.values()].map((e) => ({ name: e.name, errors: e.errors })));
  return rest;
}

function flatten(obj: unknown, prefix = '', out: Record<string, true> = {}): Record<string, true> {
  if (obj && typeof obj === 'object') {
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
      const key = prefix ? `${prefix}.${k}` : k;
      out[key] = true;
      flatten(v, key, out);
    }
  }
  return out;
}

/** One line for a toast: the API's message plus the violations no field showed. */
export function errorText(e: unknown, rest?: Violation[]): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return i18n.t('error.network');
    const vs = rest ?? e.violations;
    if (vs.length) return vs.map((v) => v.message).join('; ');
    return e.body.message ?? i18n.t('error.http', { status: e.status });
  }
  return e instanceof Error ? e.message : String(e);
}

/** Reports a failed request: onto the form's fields when there is a form, else a toast. */
export function reportError(msg: MessageInstance, e: unknown, form?: FormInstance, alias?: Record<string, (string | number)[]>): void {
  if (form && e instanceof ApiError && e.violations.length) {
    const rest = applyViolations(form, e.violations, alias);
    if (rest.length) void msg.error(errorText(e, rest));
    else void msg.error(i18n.t('error.checkFields'));
    return;
  }
  void msg.error(errorText(e));
}

/** validateFields without the unhandled rejection: the values, or null when a field is invalid (antd shows why). */
export async function validated<T>(form: FormInstance<T>, fields?: Parameters<FormInstance<T>['validateFields']>[0]): Promise<T | null> {
  try {
    return await form.validateFields(fields as never);
  } catch {
    return null;
  }
}

/**
 * A form's submit: validates, then runs `action` with the values while `busy`; the API's refusal
 * goes onto the form's fields (reportError).
 */
export function useSubmit<T>(form: FormInstance<T>, action: (values: T) => Promise<unknown>, alias?: Record<string, (string | number)[]>) {
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    const v = await validated(form);
    if (!v) return;
    setBusy(true);
    try {
      await action(v);
    } catch (e) {
      reportError(message, e, form, alias);
    } finally {
      setBusy(false);
    }
  };
  return { busy, submit };
}
