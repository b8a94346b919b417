import { expect } from 'chai';
import { checkedJobSchedule, latestDueTime, timeOfDayMs } from '../../lib/cloud/job-schedule.js';

const at = (iso: string) => Date.parse(iso);
const due = (timing: Record<string, unknown>, now: string, createdAt = '2026-01-01T00:00:00.000Z') => {
  const time = latestDueTime(timing, at(createdAt), at(now));
  return time === undefined ? undefined : new Date(time).toISOString();
};

describe('job schedules: when a _JobSchedule is due', () => {
  it('reads times of day as the Dashboard writes them, and refuses others', () => {
    expect(timeOfDayMs('09:30:00.000Z')).to.equal((9 * 60 + 30) * 60_000);
    expect(timeOfDayMs('7:05')).to.equal((7 * 60 + 5) * 60_000);
    for (const bad of ['24:00:00.000Z', '12:60', 'noon', 12, undefined]) expect(timeOfDayMs(bad)).to.equal(undefined);
  });

  it('without repeatMinutes: once, at startAfter (or when created)', () => {
    expect(due({ startAfter: '2026-03-01T10:00:00.000Z' }, '2026-03-01T09:59:59.000Z')).to.equal(undefined);
    expect(due({ startAfter: '2026-03-01T10:00:00.000Z' }, '2026-03-09T00:00:00.000Z')).to.equal(
      '2026-03-01T10:00:00.000Z',
    );
    expect(due({}, '2026-03-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z')).to.equal('2026-02-01T00:00:00.000Z');
  });

  it('daily at a time of day: the latest day whose time has come, never before startAfter', () => {
    const daily = { startAfter: '2026-03-01T12:00:00.000Z', timeOfDay: '09:00:00.000Z', repeatMinutes: 1440 };
    expect(due(daily, '2026-03-02T08:59:00.000Z')).to.equal(undefined); // the 1st's 09:00 was before startAfter
    expect(due(daily, '2026-03-02T09:00:00.000Z')).to.equal('2026-03-02T09:00:00.000Z');
    expect(due(daily, '2026-03-05T08:00:00.000Z')).to.equal('2026-03-04T09:00:00.000Z');
  });

  it('every N minutes from the time of day until the next day begins it again', () => {
    const hourly = { startAfter: '2026-03-01T00:00:00.000Z', timeOfDay: '22:00:00.000Z', repeatMinutes: 90 };
    expect(due(hourly, '2026-03-01T23:45:00.000Z')).to.equal('2026-03-01T23:30:00.000Z');
    // after midnight the 1st's sequence goes on until the 2nd's 22:00
    expect(due(hourly, '2026-03-02T01:05:00.000Z')).to.equal('2026-03-02T01:00:00.000Z');
    expect(due(hourly, '2026-03-02T22:10:00.000Z')).to.equal('2026-03-02T22:00:00.000Z');
  });

  it('on the days whose flag is set, Sunday first', () => {
    // 2026-03-01 is a Sunday; only Mondays and Fridays
    const weekdays = {
      startAfter: '2026-03-01T00:00:00.000Z',
      timeOfDay: '06:00:00.000Z',
      repeatMinutes: 1440,
      daysOfWeek: [0, 1, 0, 0, 0, 1, 0],
    };
    expect(due(weekdays, '2026-03-02T07:00:00.000Z')).to.equal('2026-03-02T06:00:00.000Z');
    expect(due(weekdays, '2026-03-05T07:00:00.000Z')).to.equal('2026-03-02T06:00:00.000Z');
    expect(due(weekdays, '2026-03-08T07:00:00.000Z')).to.equal('2026-03-06T06:00:00.000Z');
  });

  it('every N minutes from startAfter without a time of day', () => {
    const every = { startAfter: '2026-03-01T10:00:00.000Z', repeatMinutes: 15 };
    expect(due(every, '2026-03-01T10:44:00.000Z')).to.equal('2026-03-01T10:30:00.000Z');
  });
});

describe('job schedules: what /cloud_code/jobs accepts', () => {
  const now = new Date('2026-03-01T00:00:00.000Z');
  const defined = (name: string) => name === 'cleanup';

  it('fills startAfter with now and keeps what the Dashboard sends', () => {
    const schedule = checkedJobSchedule(
      {
        jobName: 'cleanup',
        params: '{"a":1}',
        daysOfWeek: [1, 1, 1, 1, 1, 1, 1],
        timeOfDay: '09:05:00.000Z',
        repeatMinutes: 1440,
      },
      defined,
      now,
    );
    expect(schedule.startAfter).to.equal(now.toISOString());
  });

  it('refuses what the scheduler could not use, with 107, and an undefined job with 1', () => {
    const bad: [unknown, number][] = [
      [undefined, 107],
      ['x', 107],
      [{ jobName: 'missing' }, 1],
      [{ jobName: 3 }, 107],
      [{ params: '{not json' }, 107],
      [{ params: '[1]' }, 107],
      [{ params: { a: 1 } }, 107],
      [{ startAfter: 'someday' }, 107],
      [{ timeOfDay: '25:00' }, 107],
      [{ daysOfWeek: [1, 1, 1] }, 107],
      [{ daysOfWeek: ['x', 1, 1, 1, 1, 1, 1] }, 107],
      [{ repeatMinutes: -5 }, 107],
      [{ repeatMinutes: 1.5 }, 107],
      [{ lastRun: 5 }, 107],
    ];
    for (const [body, code] of bad) {
      expect(() => checkedJobSchedule(body, defined, now), JSON.stringify(body))
        .to.throw()
        .with.property('code', code);
    }
  });
});
