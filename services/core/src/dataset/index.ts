// Dataset readers of @visionops/core (import from '@visionops/core/dataset').
export * from './cifar-binary.js';
export * from './cifar10-download.js';
export * from './class-folder-directory.js';
export * from './class-folder-paths.js';
export * from './class-folder-zip.js';
export * from './dataset-file.js';
export * from './decode-files.js';
export * from './decoded-dataset.js';
export * from './load-dataset.js';
export * from './stored-datasets.js';
export * from './zip-safety.js';
export * from './write-class-folder-zip.js';
