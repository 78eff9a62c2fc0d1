// Cheap statistics of one preprocessed 32x32 RGB input (HWC uint8), kept with every logged
// prediction and compared with the evaluation set's to detect input drift.
import { IMAGE_CHANNELS } from '../preprocess.js';

export interface InputStatistics {
  /** Per-channel (R, G, B) mean of the pixels scaled to [0, 1]. */
  mean: [number, number, number];
  /** Per-channel (R, G, B) standard deviation of the pixels scaled to [0, 1]. */
  std: [number, number, number];
}

const round4 = (value: number) => Math.round(value * 10_000) / 10_000;

export function inputStatistics(rgb: Uint8Array): InputStatistics {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    q0 = 0,
    q1 = 0,
    q2 = 0;
  for (let i = 0; i < rgb.length; i += IMAGE_CHANNELS) {
    const r = rgb[i]!,
      g = rgb[i + 1]!,
      b = rgb[i + 2]!;
    s0 += r;
    s1 += g;
    s2 += b;
    q0 += r * r;
    q1 += g * g;
    q2 += b * b;
  }
  const n = rgb.length / IMAGE_CHANNELS;
  const channel = (sum: number, squares: number) => {
    const mean = sum / n;
    return [round4(mean / 255), round4(Math.sqrt(Math.max(0, squares / n - mean * mean)) / 255)] as const;
  };
  const [m0, d0] = channel(s0, q0);
  const [m1, d1] = channel(s1, q1);
  const [m2, d2] = channel(s2, q2);
  return { mean: [m0, m1, m2], std: [d0, d1, d2] };
}
