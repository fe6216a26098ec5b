import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorBodyDto } from './http-error.filter';

/** 402 insufficient_balance: `violations[0].value` holds needed, available, shortfall and currency. */
export const ApiPaymentRequired = () =>
  applyDecorators(
    ApiResponse({
      status: 402,
      description:
        'insufficient_balance: the balance does not cover the amount (violations[0].value: needed, available, shortfall, currency); nothing was changed',
      type: ErrorBodyDto,
    }),
  );
