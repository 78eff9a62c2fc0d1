import { describe, expect, test } from 'vitest';
import { PIXELS_PER_IMAGE } from '../preprocess.js';
import { inputStatistics } from './input-statistics.js';

describe('inputStatistics', () => {
  test('when every pixel is the same colour, then the means are that colour and the stds zero', () => {
    const rgb = new Uint8Array(PIXELS_PER_IMAGE);
    for (let i = 0; i < rgb.length; i += 3) rgb.set([255, 51, 0], i);
    expect(inputStatistics(rgb)).toEqual({ mean: [1, 0.2, 0], std: [0, 0, 0] });
  });

  test('when half the pixels are black and half white, then each channel has mean 0.5 and std 0.5', () => {
    const rgb = new Uint8Array(PIXELS_PER_IMAGE);
    rgb.fill(255, 0, PIXELS_PER_IMAGE / 2);
    expect(inputStatistics(rgb)).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  });
});
