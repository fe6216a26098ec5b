import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorBodyDto } from './http-error.filter';

const DESCRIPTIONS: Record<number, string> = {
  400: 'A field broke a rule: `violations` names each field, rule and value',
  401: 'Missing, unknown or revoked API key',
  403: 'The key may not do this',
  404: 'No such resource for this tenant',
  409: 'The request conflicts with stored state (limits, references, uniqueness)',
};

/** Documents the error body for the given statuses (401 and 403 are added everywhere). */
export const ApiErrors = (...statuses: number[]) =>
  applyDecorators(...[...new Set([...statuses, 401, 403])].map((status) => ApiResponse({ status, description: DESCRIPTIONS[status], type: ErrorBodyDto })));
