// Turns a raw saliency map into what a client draws over the image: a 32x32 RGBA PNG whose colour
// (a perceptual map from dark purple to pale yellow) and opacity both rise with saliency.
import sharp from 'sharp';
import { SALIENCY_SIZE } from '@visionops/core';

/** Colour stops at 0, 0.25, 0.5, 0.75 and 1 (after matplotlib's "inferno"); the dashboard's legend uses them. */
export const SALIENCY_COLOUR_STOPS: readonly (readonly [number, number, number])[] = [
  [0, 0, 4],
  [87, 16, 110],
  [188, 55, 84],
  [249, 142, 9],
  [252, 255, 164],
];

/** The share of the map at or below which values are scaled to 1: a few extreme pixels do not wash out the rest. */
const SCALE_QUANTILE = 0.99;

/** The map scaled to 0..1 by its 99th percentile (clipped above it); all zeros stays all zeros. */
export function scaleSaliency(map: Float32Array): Float32Array {
  const sorted = Float32Array.from(map).sort();
  const reference = sorted[Math.min(sorted.length - 1, Math.floor(SCALE_QUANTILE * sorted.length))]!;
  const top = reference > 0 ? reference : sorted[sorted.length - 1]!;
  return map.map((value) => (top > 0 ? Math.min(1, value / top) : 0));
}

function colourOf(value: number): [number, number, number] {
  const position = value * (SALIENCY_COLOUR_STOPS.length - 1);
  const low = Math.min(Math.floor(position), SALIENCY_COLOUR_STOPS.length - 2);
  const t = position - low;
  const a = SALIENCY_COLOUR_STOPS[low]!;
  const b = SALIENCY_COLOUR_STOPS[low + 1]!;
  return [0, 1, 2].map((k) => Math.round(a[k]! + (b[k]! - a[k]!) * t)) as [number, number, number];
}

/** The map as a `data:image/png;base64,...` URL: alpha is the scaled saliency, 0 to 255. */
export async function saliencyPng(map: Float32Array): Promise<string> {
  const scaled = scaleSaliency(map);
  const rgba = Buffer.alloc(SALIENCY_SIZE * SALIENCY_SIZE * 4);
  scaled.forEach((value, p) => {
    const [r, g, b] = colourOf(value);
    rgba.set([r, g, b, Math.round(value * 255)], p * 4);
  });
  const png = await sharp(rgba, { raw: { width: SALIENCY_SIZE, height: SALIENCY_SIZE, channels: 4 } })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}
