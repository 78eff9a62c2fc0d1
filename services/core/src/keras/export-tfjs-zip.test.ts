// The TensorFlow.js download: a ZIP whose two files load back into the same model.
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import unzipper from 'unzipper';
import { describe, expect, it } from 'vitest';
import { inspectZipFile } from '../dataset/zip-safety.js';
import { modelFromFiles, readModelFiles } from '../model/model-files.js';
import { repoRoot } from '../paths.js';
import { exportTfjsZip } from './export-tfjs-zip.js';

describe('exporting a TensorFlow.js zip', () => {
  it('when the baseline is zipped, then the archive holds exactly model.json and weights.bin, byte for byte, and is stable', async () => {
    const files = await readModelFiles(join(repoRoot, 'models', 'baseline'));
    const zip = await exportTfjsZip(files);
    expect(await inspectZipFile(zip)).toEqual({
      entries: 2,
      totalBytes: files.modelJson.length + files.weightsBin.length,
    });
    const directory = await unzipper.Open.buffer(zip);
    const unpacked = Object.fromEntries(
      await Promise.all(directory.files.map(async (file) => [file.path, await file.buffer()] as const)),
    );
    expect(Object.keys(unpacked).sort()).toEqual(['model.json', 'weights.bin']);
    expect(unpacked['model.json']!.equals(files.modelJson)).toBe(true);
    expect(unpacked['weights.bin']!.equals(files.weightsBin)).toBe(true);
    expect((await exportTfjsZip(files)).equals(zip)).toBe(true);
    await tf.setBackend('cpu');
    const model = await modelFromFiles({
      modelJson: unpacked['model.json']!,
      weightsBin: unpacked['weights.bin']!,
    });
    expect(model.outputs[0]!.shape).toEqual([null, 10]);
    model.dispose();
  });
});
