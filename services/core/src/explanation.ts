// What explanations are made of, shared by the config, the API schemas and the model library
// (kept free of TensorFlow.js, so the gateway's main thread can import it without loading it).
export const SALIENCY_METHODS = ['integrated-gradients', 'smoothgrad'] as const;
export type SaliencyMethod = (typeof SALIENCY_METHODS)[number];

/** Saliency maps have the model input's size: one value per input pixel. */
export const SALIENCY_SIZE = 32;
