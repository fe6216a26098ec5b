// Decorators shared by the DTOs: optional-but-not-null fields, remarks that null clears, and a
// strict ISO 8601 date-time (class-validator's IsDateString also takes week and ordinal dates,
// which Date then turns into Invalid Date).
import { Transform } from 'class-transformer';
import { ValidateBy, ValidateIf, ValidationOptions } from 'class-validator';

/**
 * The field may be left out, but an explicit `null` is validated like any other value (and so
 * refused by the type rule that follows): `@IsOptional` would let null reach a NOT NULL column.
 */
export function Optional(): PropertyDecorator {
  return ValidateIf((_obj, value) => value !== undefined);
}

/** A text field where `null` means "clear it": stored as the empty string. */
export function NullClears(): PropertyDecorator {
  return Transform(({ value }) => (value === null ? '' : value));
}

// YYYY-MM-DD, or with a time THH:MM[:SS[.fraction]] and an optional Z or ±HH:MM offset.
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** Parses a strict ISO 8601 calendar date or date-time; null for anything else (week dates, ordinal dates, 2021-02-30, year 0). */
export function parseIsoDateTime(raw: unknown): Date | null {
  if (typeof raw !== 'string') return null;
  const m = ISO_DATE_TIME.exec(raw);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  // The day must exist in that month (Date.UTC would roll 2021-02-30 over to March).
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return null;
  const offset = m[7];
  if (offset && offset !== 'Z' && (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(4, 6)) > 59)) return null;
  const date = new Date(m[4] === undefined ? `${m[1]}-${m[2]}-${m[3]}T00:00:00Z` : offset ? raw : `${raw}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

export const ISO_DATE_TIME_MESSAGE = 'must be an ISO 8601 date or date-time, e.g. 2025-01-31 or 2025-01-31T08:00:00Z';

/** A strict ISO 8601 calendar date or date-time (see parseIsoDateTime). */
export function IsIsoDateTime(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'iso8601',
      validator: {
        validate: (value) => parseIsoDateTime(value) !== null,
        defaultMessage: (args) => `${args?.property} ${ISO_DATE_TIME_MESSAGE}`,
      },
    },
    options,
  );
}
