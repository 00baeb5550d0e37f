/** How the Training Runs view writes times, in plain Node (format.ts has no vscode). */
import assert from 'node:assert/strict';
import { relativeTime } from '../../../src/vscode/trees/format';

describe('runs view: relative times', () => {
  const savedTz = process.env.TZ;
  // Far from UTC, so a zone-less time read as local would be 8 hours off.
  before(() => {
    process.env.TZ = 'Asia/Shanghai';
  });
  after(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  const now = new Date('2026-11-30T08:17:30Z');

  it("reads MinT's zone-less times (microseconds included) as UTC", () => {
    assert.equal(new Date('2026-11-30T00:00:00').getTimezoneOffset(), -480, 'the TZ override did not take');
    assert.equal(relativeTime('2026-11-30T08:12:00.123456', now), '5 minutes ago');
    assert.equal(relativeTime('2026-11-30T06:00:00', now), '2 hours ago');
  });

  it('keeps explicit zones as they are', () => {
    assert.equal(relativeTime('2026-11-30T08:12:00Z', now), '5 minutes ago');
    assert.equal(relativeTime('2026-11-30T16:12:00+08:00', now), '5 minutes ago');
  });

  it('says N/A for nothing and passes through what it cannot read', () => {
    assert.equal(relativeTime(null, now), 'N/A');
    assert.equal(relativeTime('yesterday-ish', now), 'yesterday-ish');
  });
});
