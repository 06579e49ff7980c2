/**
 * Whether a period's declaration and payment are upcoming, due now or overdue. Pure: the due dates,
 * whether the period is closed and has ended, and today's local date in; marks out.
 * We do not record filings or payments: a closed period's declaration counts as prepared, and a payment
 * date that has passed is only "passed" for a closed period (check it was paid) and "overdue" for one
 * never closed (nothing could have been declared from it).
 */
import type { QuarterDueDates } from '../fees/index.ts';

/** 'none': no such obligation or no rule known; 'upcoming': the period has not ended. */
export type DueMark = 'none' | 'upcoming' | 'due' | 'overdue' | 'prepared' | 'passed';

export interface DueMarks {
  readonly declaration: DueMark;
  readonly payment: DueMark;
}

export function dueMarks(due: QuarterDueDates, s: { closed: boolean; ended: boolean; today: string }): DueMarks {
  const mark = (date: string | null, whenClosed: (passed: boolean) => DueMark): DueMark => {
    if (date === null) return 'none';
    const passed = s.today > date;
    if (s.closed) return whenClosed(passed);
    if (passed) return 'overdue';
    return s.ended ? 'due' : 'upcoming';
  };
  return {
    declaration: mark(due.declareBy, () => 'prepared'),
    payment: mark(due.payBy, (passed) => (passed ? 'passed' : 'due')),
  };
}

/** 'declare by 2025-11-15, pay by 2025-11-25' / 'no declaration required, pay by 2022-04-20 (rule unverified)'. */
export function dueDatesText(
  d: Pick<QuarterDueDates, 'declareBy' | 'payBy' | 'tariffId'> & { verified?: boolean },
): string {
  const known = d.tariffId !== null || d.payBy !== null;
  const declare = d.declareBy
    ? `declare by ${d.declareBy}`
    : known
      ? 'no declaration required'
      : 'declaration date unknown';
  const pay = d.payBy ? `pay by ${d.payBy}` : 'payment date unknown';
  return `${declare}, ${pay}${d.verified === false && known ? ' (rule unverified)' : ''}`;
}
