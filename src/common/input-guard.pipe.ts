import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { ValidationFailed } from './errors';
import { Violation, violation } from './violations';

/** Objects and arrays nested deeper than this are refused: no request body of this API needs more than 4. */
export const MAX_JSON_DEPTH = 16;

const hasNul = (s: string) => s.includes('\u0000');

/**
 * Runs before validation on every path parameter, query and body: refuses NUL characters
 * (PostgreSQL text cannot hold them) and JSON nested deeper than MAX_JSON_DEPTH (class-transformer
 * and class-validator recurse and would overflow the stack). Iterative, so a hostile body cannot
 * overflow it either. Guards run first: an unauthenticated call never gets this far.
 */
@Injectable()
export class InputGuardPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body' && metadata.type !== 'query' && metadata.type !== 'param') return value;
    const problems = inspectInput(value, metadata.data ?? '');
    if (problems.length) throw new ValidationFailed(problems);
    return value;
  }
}

/** The NUL and depth violations of a value, with dotted field paths from `root`. */
export function inspectInput(value: unknown, root: string): Violation[] {
  const problems: Violation[] = [];
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: root, depth: 0 }];
  const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
  while (stack.length && problems.length < 20) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (hasNul(v)) problems.push(violation(path || 'body', 'no_nul', undefined, `${path || 'the body'} must not contain NUL characters (\\u0000)`));
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) {
      problems.push(violation(path || 'body', 'max_depth', undefined, `${path || 'the body'} is nested too deeply (at most ${MAX_JSON_DEPTH} levels)`));
      continue;
    }
    for (const [key, child] of Object.entries(v)) {
      const safeKey = hasNul(key) ? key.replace(/\u0000/g, '\\u0000') : key;
      if (hasNul(key)) problems.push(violation(join(path, safeKey), 'no_nul', undefined, `field names must not contain NUL characters (\\u0000)`));
      stack.push({ v: child, path: join(path, safeKey), depth: depth + 1 });
    }
  }
  return problems;
}
