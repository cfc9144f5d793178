import { describe, expect, it } from 'vitest';
import { classify, combine, framesDecoded, lossBetween, lossCounters, outgoingLoss, roundTripMs, type StatsEntry } from './quality';

describe('connection quality', () => {
  it('reads the round-trip time of the selected candidate pair', () => {
    const entries: StatsEntry[] = [
      { type: 'transport', selectedCandidatePairId: 'cp2' },
      { type: 'candidate-pair', id: 'cp1', currentRoundTripTime: 0.5 },
      { type: 'candidate-pair', id: 'cp2', currentRoundTripTime: 0.042 },
    ];
    expect(roundTripMs(entries)).toBeCloseTo(42);
    expect(roundTripMs([{ type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: 0.1 }])).toBeCloseTo(100);
    expect(roundTripMs([{ type: 'remote-inbound-rtp', roundTripTime: 0.2 }])).toBeCloseTo(200);
    expect(roundTripMs([])).toBeNull();
  });

  it('computes the loss between two samples', () => {
    const first = lossCounters([
      { type: 'inbound-rtp', packetsReceived: 90, packetsLost: 0 },
      { type: 'inbound-rtp', packetsReceived: 10, packetsLost: 0 },
    ]);
    const second = lossCounters([
      { type: 'inbound-rtp', packetsReceived: 185, packetsLost: 5 },
      { type: 'inbound-rtp', packetsReceived: 10, packetsLost: 0 },
    ]);
    expect(lossBetween(first, second)).toBeCloseTo(5);
    expect(lossBetween(second, second)).toBeNull();
    // Counters that went back (a new connection) are not a negative loss.
    expect(lossBetween(second, first)).toBeNull();
    expect(outgoingLoss([{ type: 'remote-inbound-rtp', fractionLost: 0.1 }, { type: 'remote-inbound-rtp', fractionLost: 0.02 }])).toBeCloseTo(10);
  });

  it('classifies and combines', () => {
    expect(classify(null, null)).toBe('unknown');
    expect(classify(40, 0)).toBe('good');
    expect(classify(200, 0)).toBe('fair');
    expect(classify(40, 3)).toBe('fair');
    expect(classify(40, 12)).toBe('poor');
    expect(classify(900, null)).toBe('poor');
    expect(
      combine([
        { level: 'good', rttMs: 30, lossPercent: null },
        { level: 'fair', rttMs: 200, lossPercent: 1 },
      ]),
    ).toEqual({ level: 'fair', rttMs: 200, lossPercent: 1 });
  });

  it('sums decoded video frames', () => {
    expect(
      framesDecoded([
        { type: 'inbound-rtp', kind: 'video', framesDecoded: 10 },
        { type: 'inbound-rtp', kind: 'audio' },
        { type: 'inbound-rtp', kind: 'video', framesDecoded: 5 },
      ]),
    ).toBe(15);
  });
});
