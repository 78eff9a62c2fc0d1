// Byte-level edits of a ZIP for hostile-archive tests: what no ZIP tool writes on purpose, such as a
// central directory that disagrees with the local headers.

const CENTRAL_SIGNATURE = 0x02014b50;

/** Offset of the end-of-central-directory record. */
export function endOfCentralDirectory(zip: Buffer): number {
  const at = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (at < 0) throw new Error('no end of central directory');
  return at;
}

export interface CentralRecord {
  /** Offset of the record in the archive, and its length. */
  at: number;
  length: number;
  /** Offset of the entry's local header. */
  localHeader: number;
  name: string;
}

/** The central directory's records, in order. */
export function centralRecords(zip: Buffer): CentralRecord[] {
  const eocd = endOfCentralDirectory(zip);
  const records: CentralRecord[] = [];
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < zip.readUInt16LE(eocd + 10); i++) {
    if (zip.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw new Error('not a central directory header');
    const nameLength = zip.readUInt16LE(at + 28);
    const length = 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    records.push({
      at,
      length,
      localHeader: zip.readUInt32LE(at + 42),
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
    });
    at += length;
  }
  return records;
}

/** The archive with entry `index` left out of the central directory; its bytes stay where they are. */
export function withoutCentralRecord(zip: Buffer, index: number): Buffer {
  const record = centralRecords(zip)[index];
  if (!record) throw new Error(`no central record ${index}`);
  const out = Buffer.concat([zip.subarray(0, record.at), zip.subarray(record.at + record.length)]);
  const eocd = endOfCentralDirectory(out);
  out.writeUInt16LE(out.readUInt16LE(eocd + 8) - 1, eocd + 8);
  out.writeUInt16LE(out.readUInt16LE(eocd + 10) - 1, eocd + 10);
  out.writeUInt32LE(out.readUInt32LE(eocd + 12) - record.length, eocd + 12);
  return out;
}

/** The archive with entry `index` renamed in its local header only (same length). */
export function renamedInLocalHeader(zip: Buffer, index: number, name: string): Buffer {
  const record = centralRecords(zip)[index];
  if (!record) throw new Error(`no central record ${index}`);
  if (Buffer.byteLength(name) !== Buffer.byteLength(record.name))
    throw new Error('names must have the same length');
  const out = Buffer.from(zip);
  out.write(name, record.localHeader + 30, 'utf8');
  return out;
}

/** The archive with entry `index` declaring `extra` more compressed bytes in the central directory. */
export function withLongerCentralSize(zip: Buffer, index: number, extra: number): Buffer {
  const record = centralRecords(zip)[index];
  if (!record) throw new Error(`no central record ${index}`);
  const out = Buffer.from(zip);
  out.writeUInt32LE(out.readUInt32LE(record.at + 20) + extra, record.at + 20);
  return out;
}
