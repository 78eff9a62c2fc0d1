// Replay sampling: class-balanced, seeded, and never more than the data holds.
import { describe, expect, test } from 'vitest';
import { classBalancedSample } from './dataset-subset.js';
import { countPerClass } from '@visionops/core/dataset';

function labelsWith(counts: number[]): Uint8Array {
  return Uint8Array.from(counts.flatMap((count, label) => new Array<number>(count).fill(label)));
}

describe('classBalancedSample', () => {
  test('when every class has enough images, then each gets the same share', () => {
    const labels = labelsWith(new Array<number>(10).fill(50));
    const sample = classBalancedSample(labels, 100, 1);
    expect(countPerClass(Uint8Array.from(sample, (i) => labels[i]!))).toEqual(new Array<number>(10).fill(10));
    expect(new Set(sample).size).toBe(100);
  });

  test('when a class is short, then the others fill the sample', () => {
    const labels = labelsWith([2, 50, 50, 0, 0, 0, 0, 0, 0, 0]);
    const counts = countPerClass(Uint8Array.from(classBalancedSample(labels, 30, 1), (i) => labels[i]!));
    expect(counts.slice(0, 3)).toEqual([2, 14, 14]);
  });

  test('when asked for more than there is, then it returns everything once', () => {
    expect(classBalancedSample(labelsWith([3, 4]), 100, 1)).toHaveLength(7);
  });

  test('when the seed is the same, then so is the sample; another seed gives another', () => {
    const labels = labelsWith(new Array<number>(10).fill(40));
    expect(classBalancedSample(labels, 50, 7)).toEqual(classBalancedSample(labels, 50, 7));
    expect(classBalancedSample(labels, 50, 7)).not.toEqual(classBalancedSample(labels, 50, 8));
  });
});

describe('classBalancedSample next to an upload', () => {
  test('when the upload holds one class, then replay fills the other classes first', () => {
    const labels = labelsWith(new Array<number>(10).fill(100));
    const upload = [0, 0, 0, 50, 0, 0, 0, 0, 0, 0];
    const counts = countPerClass(
      Uint8Array.from(classBalancedSample(labels, 90, 1, upload), (i) => labels[i]!),
    );
    expect(counts).toEqual([10, 10, 10, 0, 10, 10, 10, 10, 10, 10]);
    const more = countPerClass(
      Uint8Array.from(classBalancedSample(labels, 460, 1, upload), (i) => labels[i]!),
    );
    // Up to the upload's 50 for the nine others, then every class one more.
    expect(more).toEqual([51, 51, 51, 1, 51, 51, 51, 51, 51, 51]);
  });
});
