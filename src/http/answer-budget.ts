import type { FastifyReply } from 'fastify';
import { OverloadedError } from '../util/limiter.ts';

/**
 * A byte budget for answers being sent (issue 22): an answer is held from the moment a reply takes it until the
 * reply is done (sent, or the client went away). Replies that share one answer (the same Buffer) hold it once; a
 * new answer that would take the held bytes past `maxBytes` is refused with 503 + Retry-After before it is sent,
 * so slow or many readers cannot pile up copies until the heap or the machine's memory runs out.
 */
export interface AnswerBudget {
  /** Send `body` on `reply` within the budget, or throw OverloadedError (503 + Retry-After). */
  send(reply: FastifyReply, body: Buffer, contentType: string): FastifyReply;
  state(): { heldBytes: number; answers: number; refused: number };
}

export function createAnswerBudget(maxBytes: number, retryAfterS = 5): AnswerBudget {
  const held = new Map<Buffer, number>();
  let heldBytes = 0;
  let refused = 0;
  const release = (body: Buffer) => {
    const n = (held.get(body) ?? 1) - 1;
    if (n > 0) return void held.set(body, n);
    held.delete(body);
    heldBytes -= body.length;
  };
  return {
    send(reply, body, contentType) {
      const n = held.get(body);
      if (n === undefined && heldBytes > 0 && heldBytes + body.length > maxBytes) {
        refused++;
        throw new OverloadedError(
          `Too many large answers being sent at once (${Math.round(heldBytes / 2 ** 20)} MiB): try again in ${retryAfterS} s.`,
          retryAfterS,
        );
      }
      held.set(body, (n ?? 0) + 1);
      if (n === undefined) heldBytes += body.length;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        release(body);
      };
      reply.raw.once('finish', finish);
      reply.raw.once('close', finish);
      return reply.type(contentType).send(body);
    },
    state: () => ({ heldBytes, answers: held.size, refused }),
  };
}
