/**
 * Issue 22, item 6: the memory of answers being sent is bounded. A reply holds its answer from send until it is
 * done (finish or close); replies sharing one answer (the same Buffer) hold it once; a new answer past the budget
 * is refused with 503 + Retry-After before it is sent.
 */
import { EventEmitter } from 'node:events';
import type { FastifyReply } from 'fastify';
import { describe, expect, it } from 'vitest';
import { acceptsGzip } from '../../../src/http/accepts-gzip.ts';
import { createAnswerBudget } from '../../../src/http/answer-budget.ts';
import { OverloadedError } from '../../../src/util/limiter.ts';

/** The part of a fastify reply the budget uses: its raw response's events, type() and send(). */
function reply() {
  const raw = new EventEmitter();
  const sent: Buffer[] = [];
  const r = {
    raw,
    sent,
    type: () => r,
    send: (b: Buffer) => {
      sent.push(b);
      return r;
    },
  };
  return r as typeof r & FastifyReply;
}

const mb = (n: number) => Buffer.alloc(n * 2 ** 20);

describe('answer budget (bytes of answers being sent)', () => {
  it('holds each answer once however many replies share it, and frees it when the last is done', () => {
    const budget = createAnswerBudget(3 * 2 ** 20);
    const shared = mb(2);
    const replies = Array.from({ length: 200 }, () => reply());
    for (const r of replies) budget.send(r, shared, 'application/json');
    expect(budget.state()).toEqual({ heldBytes: 2 * 2 ** 20, answers: 1, refused: 0 });
    // A second distinct 2 MiB answer does not fit beside it: refused, before anything is sent.
    const late = reply();
    expect(() => budget.send(late, mb(2), 'application/json')).toThrow(OverloadedError);
    expect(late.sent).toEqual([]);
    for (const r of replies.slice(1)) r.raw.emit('finish');
    expect(budget.state().heldBytes).toBe(2 * 2 ** 20);
    replies[0]!.raw.emit('close'); // a client that went away frees it too
    expect(budget.state()).toEqual({ heldBytes: 0, answers: 0, refused: 1 });
    const next = reply();
    budget.send(next, mb(2), 'application/json');
    expect(next.sent).toHaveLength(1);
  });

  it('one answer larger than the whole budget is still sent when nothing else is held (never a dead end)', () => {
    const budget = createAnswerBudget(2 ** 20);
    const r = reply();
    budget.send(r, mb(4), 'application/json');
    expect(r.sent).toHaveLength(1);
    expect(() => budget.send(reply(), mb(1), 'application/json')).toThrow(/Too many large answers being sent at once/);
  });

  it('refuses with 503 and the Retry-After the error handler sends', () => {
    const budget = createAnswerBudget(2 ** 20, 7);
    budget.send(reply(), mb(1), 'application/json');
    try {
      budget.send(reply(), mb(1), 'application/json');
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ statusCode: 503, retryAfterS: 7 });
    }
  });

  it('finish and close of one reply release its hold once', () => {
    const budget = createAnswerBudget(10 * 2 ** 20);
    const shared = mb(1);
    const a = reply();
    const b = reply();
    budget.send(a, shared, 'application/json');
    budget.send(b, shared, 'application/json');
    a.raw.emit('finish');
    a.raw.emit('close');
    expect(budget.state().heldBytes).toBe(2 ** 20);
    b.raw.emit('close');
    expect(budget.state().heldBytes).toBe(0);
  });
});

describe('Accept-Encoding: gzip', () => {
  it.each([
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['br;q=1.0, gzip;q=0.5', true],
    ['*', true],
    ['GZIP', true],
    ['gzip;q=0', false],
    ['gzip; q=0.0', false],
    ['identity', false],
    ['deflate, br', false],
    [undefined, false],
  ])('%s -> %s', (header, ok) => {
    expect(acceptsGzip(header)).toBe(ok);
  });
});
