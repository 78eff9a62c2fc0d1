// The CIFAR-10 classes in the canonical label order (index 0 to 9); the model's outputs follow it.
export const LABELS = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

export type Label = (typeof LABELS)[number];

export const NUM_CLASSES = LABELS.length;

const labelIndex = new Map<string, number>(LABELS.map((label, index) => [label, index]));

/** The class index of a label, or undefined when the name is not a CIFAR-10 class. */
export function indexOfLabel(name: string): number | undefined {
  return labelIndex.get(name);
}

export function isLabel(name: string): name is Label {
  return labelIndex.has(name);
}
