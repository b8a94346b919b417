import { expect } from 'chai';
import { OutageWatchdog } from '../../lib/storage/mongo/outage-watchdog.js';

const never = () => new Promise<never>(() => {});
const outcome = (p: Promise<unknown>) =>
  p.then(
    (value) => ({ value }),
    (err: Error) => ({ error: err.message }),
  );

describe('OutageWatchdog (lib/storage/mongo/outage-watchdog.ts)', () => {
  const lost = () => new Error('lost');

  it('fails an operation still pending a grace after a connection loss', async () => {
    const watchdog = new OutageWatchdog(20, lost);
    const stuck = outcome(watchdog.watch(never()));
    watchdog.connectionLost();
    expect(await stuck).to.deep.equal({ error: 'lost' });
  });

  it('leaves alone what settles within the grace, and what starts after the loss', async () => {
    const watchdog = new OutageWatchdog(30, lost);
    let finish!: (v: string) => void;
    const slow = outcome(watchdog.watch(new Promise<string>((resolve) => (finish = resolve))));
    watchdog.connectionLost();
    const later = watchdog.watch(new Promise<string>((resolve) => setTimeout(() => resolve('later'), 60)));
    setTimeout(() => finish('slow'), 5);
    expect(await slow).to.deep.equal({ value: 'slow' });
    expect(await outcome(later)).to.deep.equal({ value: 'later' });
  });

  it('passes results and errors through untouched, and does nothing without a loss', async () => {
    const watchdog = new OutageWatchdog(10, lost);
    expect(await watchdog.watch(Promise.resolve(3))).to.equal(3);
    expect(await outcome(watchdog.watch(Promise.reject(new Error('own'))))).to.deep.equal({ error: 'own' });
    const pending = outcome(watchdog.watch(new Promise((resolve) => setTimeout(() => resolve('done'), 40))));
    expect(await pending).to.deep.equal({ value: 'done' });
  });
});
