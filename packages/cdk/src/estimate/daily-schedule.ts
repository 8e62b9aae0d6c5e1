import { NovaCostError } from '@nova-cost/domain';

/** A scheduled minimum taking effect at a minute of the day. */
export interface ScheduledFloor {
  readonly minuteOfDay: number;
  readonly minCapacity: number;
}

/** How many hours a day each task floor holds. */
export interface FloorHours {
  readonly minCapacity: number;
  readonly hoursPerDay: number;
}

/**
 * Parses an Application Auto Scaling daily cron, `cron(M H * * ? *)`, into a minute of the day. Anything that is
 * not once a day is refused, because the estimate would otherwise silently be wrong.
 */
export function dailyCronMinuteOfDay(expression: string): number {
  const match = /^cron\((\d{1,2}) (\d{1,2}) \* \* \? \*\)$/.exec(expression.trim());
  if (!match) {
    throw new NovaCostError(
      'validation',
      `the estimate understands daily schedules "cron(M H * * ? *)" only, got "${expression}"`,
    );
  }
  const minute = Number(match[1]);
  const hour = Number(match[2]);
  if (minute > 59 || hour > 23) throw new NovaCostError('validation', `cron time out of range in "${expression}"`);
  return hour * 60 + minute;
}

/**
 * Hours per day spent at each floor, given the floors scheduled through the day. The day wraps: before the first
 * action of the day, the last action of the previous day still holds.
 */
export function floorHoursPerDay(baseMin: number, floors: readonly ScheduledFloor[]): FloorHours[] {
  if (floors.length === 0) return [{ minCapacity: baseMin, hoursPerDay: 24 }];
  const sorted = [...floors].sort((a, b) => a.minuteOfDay - b.minuteOfDay);
  const byCapacity = new Map<number, number>();
  sorted.forEach((floor, i) => {
    const next = sorted[(i + 1) % sorted.length]!;
    const minutes = (next.minuteOfDay - floor.minuteOfDay + 1440) % 1440 || (sorted.length === 1 ? 1440 : 0);
    byCapacity.set(floor.minCapacity, (byCapacity.get(floor.minCapacity) ?? 0) + minutes / 60);
  });
  return [...byCapacity].map(([minCapacity, hoursPerDay]) => ({ minCapacity, hoursPerDay }));
}
