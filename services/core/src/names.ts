// Every name shared between processes: queues, jobs, Redis channels and S3 keys live here once.

export const QUEUE_RETRAIN = 'retrain';

export const JobName = {
  Retrain: 'retrain',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/** Redis pub/sub channel on which model promotions are announced to every gateway. */
export const CHANNEL_MODELS = 'visionops:models';

export const S3Keys = {
  modelPrefix: 'models/',
  modelFile: (version: string, file: 'model.json' | 'weights.bin' | 'card.json') =>
    `models/${version}/${file}`,
  productionAlias: 'models/production.json',
  upload: (sha256: string) => `uploads/${sha256}.zip`,
  datasetPrefix: 'datasets/',
} as const;
