// `npm run dataset:fetch`: puts the official CIFAR-10 binary batches in DATASET_DIR.
import { loadConfig } from '../config.js';
import { DatasetDownloadError, downloadCifar10 } from './cifar10-download.js';

const config = loadConfig();
try {
  await downloadCifar10({
    destDir: config.DATASET_DIR,
    log: (message) => console.log(`[dataset:fetch] ${message}`),
  });
} catch (error) {
  if (!(error instanceof DatasetDownloadError)) throw error;
  console.error(`[dataset:fetch] ${error.message}`);
  process.exitCode = 1;
}
