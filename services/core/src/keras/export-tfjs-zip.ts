// A TensorFlow.js layers model as one download: a ZIP of model.json and weights.bin (and, when
// given, the version's card.json).
import yazl from 'yazl';
import type { ModelFiles } from '../model/model-files.js';

/** The files, deflated, at the archive's top level (unzip and load with tf.loadLayersModel). */
export async function exportTfjsZip(files: ModelFiles, card?: object): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  // A fixed time keeps the bytes of one version's archive the same on every export.
  const mtime = new Date(Date.UTC(2000, 0, 1));
  zip.addBuffer(files.modelJson, 'model.json', { mtime });
  zip.addBuffer(files.weightsBin, 'weights.bin', { mtime });
  if (card) zip.addBuffer(Buffer.from(JSON.stringify(card, null, 2)), 'card.json', { mtime });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
