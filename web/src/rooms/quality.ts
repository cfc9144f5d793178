/**
 * The connection-quality indicator: round-trip time and packet loss read from
 * `RTCPeerConnection.getStats()`, turned into good / fair / poor.
 */

export type QualityLevel = 'unknown' | 'good' | 'fair' | 'poor';

export interface Quality {
  level: QualityLevel;
  /** Round-trip time to the server in milliseconds, or null when not measured yet. */
  rttMs: number | null;
  /** Share of packets lost since the previous sample, in percent, or null. */
  lossPercent: number | null;
}

/** Packet counters of one sample, kept to compute the loss over the next interval. */
export interface LossCounters {
  received: number;
  lost: number;
}

/** The stats entries this module reads (a subset of the WebRTC statistics dictionaries). */
export interface StatsEntry {
  id?: string;
  type: string;
  state?: string;
  nominated?: boolean;
  selected?: boolean;
  selectedCandidatePairId?: string;
  currentRoundTripTime?: number;
  roundTripTime?: number;
  packetsReceived?: number;
  packetsLost?: number;
  fractionLost?: number;
  kind?: string;
  framesDecoded?: number;
}

/** Turns an `RTCStatsReport` (a Map-like) into a list of entries. */
export function statsEntries(report: { forEach: (fn: (value: unknown) => void) => void }): StatsEntry[] {
  const entries: StatsEntry[] = [];
  report.forEach((value) => entries.push(value as StatsEntry));
  return entries;
}

/** The round-trip time of the candidate pair in use, in milliseconds. */
export function roundTripMs(entries: StatsEntry[]): number | null {
  const transport = entries.find((e) => e.type === 'transport' && e.selectedCandidatePairId);
  const pair =
    (transport && entries.find((e) => e.type === 'candidate-pair' && e.id === transport.selectedCandidatePairId)) ??
    entries.find((e) => e.type === 'candidate-pair' && (e.selected || (e.nominated && e.state === 'succeeded')));
  if (pair && typeof pair.currentRoundTripTime === 'number') return pair.currentRoundTripTime * 1000;
  // Fall back on what the server reports about our outgoing streams.
  const remote = entries.find((e) => e.type === 'remote-inbound-rtp' && typeof e.roundTripTime === 'number');
  return remote?.roundTripTime !== undefined ? remote.roundTripTime * 1000 : null;
}

/** The sum of packets received and lost over every incoming stream. */
export function lossCounters(entries: StatsEntry[]): LossCounters {
  let received = 0;
  let lost = 0;
  for (const entry of entries) {
    if (entry.type === 'inbound-rtp') {
      received += entry.packetsReceived ?? 0;
      lost += Math.max(0, entry.packetsLost ?? 0);
    }
  }
  return { received, lost };
}

/** The loss between two samples, in percent; null when no packet was expected meanwhile. */
export function lossBetween(previous: LossCounters | null, current: LossCounters): number | null {
  const received = current.received - (previous?.received ?? 0);
  const lost = current.lost - (previous?.lost ?? 0);
  // Counters restart after a reconnection: start over rather than report nonsense.
  if (received < 0 || lost < 0) return null;
  const expected = received + lost;
  return expected === 0 ? null : (100 * lost) / expected;
}

/** The loss the server reports for what we send (RTCP receiver reports), in percent. */
export function outgoingLoss(entries: StatsEntry[]): number | null {
  const fractions = entries
    .filter((e) => e.type === 'remote-inbound-rtp' && typeof e.fractionLost === 'number')
    .map((e) => (e.fractionLost ?? 0) * 100);
  return fractions.length === 0 ? null : Math.max(...fractions);
}

/** Good under 150 ms and 2 % loss; poor over 400 ms or 8 % loss; fair in between. */
export function classify(rttMs: number | null, lossPercent: number | null): QualityLevel {
  if (rttMs === null && lossPercent === null) return 'unknown';
  const rtt = rttMs ?? 0;
  const loss = lossPercent ?? 0;
  if (rtt > 400 || loss > 8) return 'poor';
  if (rtt > 150 || loss > 2) return 'fair';
  return 'good';
}

/** Combines samples of both peer connections into one indicator (the worse of the two wins). */
export function combine(samples: Quality[]): Quality {
  const order: QualityLevel[] = ['unknown', 'good', 'fair', 'poor'];
  const rtts = samples.map((s) => s.rttMs).filter((v): v is number => v !== null);
  const losses = samples.map((s) => s.lossPercent).filter((v): v is number => v !== null);
  const level = samples.reduce<QualityLevel>((worst, s) => (order.indexOf(s.level) > order.indexOf(worst) ? s.level : worst), 'unknown');
  return {
    level,
    rttMs: rtts.length ? Math.max(...rtts) : null,
    lossPercent: losses.length ? Math.max(...losses) : null,
  };
}

/** Total frames decoded over the incoming video streams (the browser test watches this grow). */
export function framesDecoded(entries: StatsEntry[]): number {
  return entries
    .filter((e) => e.type === 'inbound-rtp' && e.kind === 'video')
    .reduce((sum, e) => sum + (e.framesDecoded ?? 0), 0);
}
