import { expect } from 'chai';
import { MemoryRateLimitStore } from '../../lib/http/rate-limits.js';

describe('MemoryRateLimitStore (lib/http/rate-limits.ts)', () => {
  it("starts a client's window at its first request, not at a clock boundary", async () => {
    const store = new MemoryRateLimitStore();
    // 59,999 and 60,001 straddle a minute boundary: still one window of 60 s for this client.
    expect(await store.hit('ip:a', 60_000, 59_999)).to.equal(1);
    expect(await store.hit('ip:a', 60_000, 60_001)).to.equal(2);
    expect(await store.hit('ip:a', 60_000, 119_998)).to.equal(3);
    // A full window after the first request, the count starts again.
    expect(await store.hit('ip:a', 60_000, 119_999)).to.equal(1);
    expect(await store.hit('ip:b', 60_000, 119_999)).to.equal(1);
  });
});
