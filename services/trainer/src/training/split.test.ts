import { describe, expect, it } from 'vitest';
import { splitTrainValidation } from './split.js';

describe('train/validation split', () => {
  const labels = Uint8Array.from({ length: 1000 }, (_, i) => i % 10);

  it('when split, then every index is used once and validation is class-balanced', () => {
    const { trainIndices, validationIndices } = splitTrainValidation(labels, 100, 3);
    expect(validationIndices.length).toBe(100);
    expect(trainIndices.length).toBe(900);
    expect(new Set([...trainIndices, ...validationIndices]).size).toBe(1000);
    const perClass = new Array<number>(10).fill(0);
    for (const i of validationIndices) perClass[labels[i]!]!++;
    expect(perClass).toEqual(new Array<number>(10).fill(10));
  });

  it('when the seed repeats, then the split repeats; another seed gives another split', () => {
    const a = splitTrainValidation(labels, 100, 3).validationIndices;
    expect(splitTrainValidation(labels, 100, 3).validationIndices).toEqual(a);
    expect(splitTrainValidation(labels, 100, 4).validationIndices).not.toEqual(a);
  });

  it('when limited, then a subset of that size is split', () => {
    const { trainIndices, validationIndices } = splitTrainValidation(labels, 50, 3, 300);
    expect(trainIndices.length + validationIndices.length).toBe(300);
  });
});
