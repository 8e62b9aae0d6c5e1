import { NovaCostError } from '@nova-cost/domain';
import { describe, expect, it } from 'vitest';
import { dailyCronMinuteOfDay, floorHoursPerDay } from './daily-schedule';

describe(dailyCronMinuteOfDay, () => {
  it('reads minute and hour of a daily cron', () => {
    expect(dailyCronMinuteOfDay('cron(30 8 * * ? *)')).toBe(8 * 60 + 30);
    expect(dailyCronMinuteOfDay('cron(0 22 * * ? *)')).toBe(22 * 60);
  });

  it.each(['cron(0 8 ? * MON-FRI *)', 'rate(1 hour)', 'cron(61 8 * * ? *)', 'cron(0 24 * * ? *)'])(
    'refuses %s',
    (expression) => {
      expect(() => dailyCronMinuteOfDay(expression)).toThrow(NovaCostError);
    },
  );
});

describe(floorHoursPerDay, () => {
  it('splits the day at the scheduled floors: 08:30→22:00 is 13.5 h at 5, the other 10.5 h at 2', () => {
    const floors = [
      { minuteOfDay: 22 * 60, minCapacity: 2 },
      { minuteOfDay: 8 * 60 + 30, minCapacity: 5 },
    ];
    expect(floorHoursPerDay(2, floors)).toEqual([
      { minCapacity: 5, hoursPerDay: 13.5 },
      { minCapacity: 2, hoursPerDay: 10.5 },
    ]);
  });

  it('holds the base minimum all day without a schedule, and a lone action all day too', () => {
    expect(floorHoursPerDay(3, [])).toEqual([{ minCapacity: 3, hoursPerDay: 24 }]);
    expect(floorHoursPerDay(3, [{ minuteOfDay: 600, minCapacity: 4 }])).toEqual([{ minCapacity: 4, hoursPerDay: 24 }]);
  });
});
