import { describe, expect, it } from 'vitest';
import { databaseFailureOf, retryConflicts } from '../database/failures.js';

/** Errors in the shapes pg, the driver adapters and Prisma's client raise them (seen in the fault campaign). */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });
const prismaError = (code: string, cause?: Record<string, unknown>) =>
  Object.assign(new Error(`prisma ${code}`), {
    code,
    meta: cause ? { driverAdapterError: { name: 'DriverAdapterError', cause } } : undefined,
  });

describe('databaseFailureOf', () => {
  it.each([
    [
      'a restart ending a pooled connection (pg)',
      pgError('57P01', 'terminating connection due to administrator command'),
    ],
    ['a database shutting down', pgError('57P03', 'the database system is shutting down')],
    ['a connection exception class', pgError('08006', 'connection failure')],
    ['too many connections', pgError('53300', 'sorry, too many clients already')],
    ['the driver adapter, unreachable', prismaError('P1001', { kind: 'DatabaseNotReachable', host: '127.0.0.1' })],
    ['the driver adapter, a postgres code', prismaError('P2010', { kind: 'postgres', originalCode: '57P01' })],
    ['the pool gave no connection in time', new Error('timeout exceeded when trying to connect')],
    ['a connection cut mid-query', new Error('Connection terminated unexpectedly')],
    ["Prisma's transaction manager", prismaError('P2028')],
    ['a socket refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
  ])('calls %s unavailable', (_what, error) => {
    expect(databaseFailureOf(error)).toBe('unavailable');
  });

  it.each([
    ['a deadlock (pg)', pgError('40P01', 'deadlock detected')],
    ['a serialization failure', pgError('40001', 'could not serialize access due to concurrent update')],
    ['a write conflict (Prisma)', prismaError('P2034', { kind: 'TransactionWriteConflict' })],
  ])('calls %s a conflict, safe to run again', (_what, error) => {
    expect(databaseFailureOf(error)).toBe('conflict');
  });

  it('leaves everything else alone: constraints, bugs, non-errors', () => {
    expect(databaseFailureOf(prismaError('P2002', { kind: 'UniqueConstraintViolation' }))).toBeNull();
    expect(databaseFailureOf(new TypeError('cannot read properties of undefined'))).toBeNull();
    expect(databaseFailureOf('a string')).toBeNull();
    expect(databaseFailureOf(null)).toBeNull();
    const cyclic: Record<string, unknown> = { message: 'boom' };
    cyclic.cause = cyclic;
    expect(databaseFailureOf(cyclic)).toBeNull();
  });
});

describe('retryConflicts', () => {
  it('runs a transaction again after a deadlock, and gives up after five attempts', async () => {
    let attempts = 0;
    expect(
      await retryConflicts(async () => {
        if (++attempts < 3) throw pgError('40P01', 'deadlock detected');
        return 'committed';
      }),
    ).toBe('committed');
    expect(attempts).toBe(3);

    attempts = 0;
    await expect(
      retryConflicts(async () => {
        attempts++;
        throw pgError('40001', 'could not serialize access');
      }),
    ).rejects.toThrow('could not serialize');
    expect(attempts).toBe(5);
  });

  it('never runs again what failed otherwise, unless the caller says that failure is safe to repeat', async () => {
    let attempts = 0;
    await expect(
      retryConflicts(async () => {
        attempts++;
        throw pgError('57P01', 'terminating connection');
      }),
    ).rejects.toThrow();
    expect(attempts).toBe(1);

    attempts = 0;
    const unique = prismaError('P2002');
    expect(
      await retryConflicts(
        async () => {
          if (++attempts === 1) throw unique;
          return 'found the winner';
        },
        (error) => error === unique,
      ),
    ).toBe('found the winner');
  });
});
