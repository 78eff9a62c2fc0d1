// Keras interchange: import Keras models (.h5, .keras) as TensorFlow.js models, export as Keras HDF5
// (or as a zip of the TensorFlow.js files).
export * from './export-keras-h5.js';
export * from './export-tfjs-zip.js';
export * from './import-keras-model.js';
export * from './keras-import-error.js';
export { SUPPORTED_LAYERS, type OutputKind } from './keras-model-config.js';
