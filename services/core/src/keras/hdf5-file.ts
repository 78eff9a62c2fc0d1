// HDF5 through h5wasm (the HDF5 C library compiled to WebAssembly, with an in-memory file system):
// open bytes, read attributes and datasets with their sizes checked first, write new files. Every
// file lives in the in-memory file system only while its callback runs.
import { randomUUID } from 'node:crypto';
import h5wasm, { Dataset, Group, type Attribute, type File } from 'h5wasm';

export { Dataset, Group };
export type { File };

interface H5Runtime {
  FS: {
    writeFile(path: string, data: Uint8Array): void;
    readFile(path: string): Uint8Array;
    unlink(path: string): void;
  };
  activate_throwing_error_handler(): number;
}

let runtime: Promise<H5Runtime> | undefined;

/**
 * The h5wasm module, initialised once. HDF5 errors then throw with the library's own message
 * (which says "truncated file", "file signature not found"...) instead of printing a diagnostic
 * stack on stderr for every bad upload.
 */
function h5(): Promise<H5Runtime> {
  runtime ??= h5wasm.ready.then((module) => {
    const loaded = module as unknown as H5Runtime;
    loaded.activate_throwing_error_handler();
    return loaded;
  });
  return runtime;
}

/** Opens `bytes` read-only for the duration of `use`; the file is closed and removed afterwards. */
export async function withHdf5File<T>(bytes: Uint8Array, use: (file: File) => T): Promise<T> {
  const { FS } = await h5();
  const path = `/keras-${randomUUID()}.h5`;
  FS.writeFile(path, bytes);
  let file: File | undefined;
  try {
    file = new h5wasm.File(path, 'r');
    return use(file);
  } finally {
    try {
      file?.close();
    } catch {
      // After an HDF5 error inside `use` the file may refuse to close; that error is the one to
      // report, and the in-memory file is removed below either way.
    } finally {
      FS.unlink(path);
    }
  }
}

/** Creates a new HDF5 file, lets `write` fill it, and returns its bytes; nothing is left behind. */
export async function createHdf5File(write: (file: File) => void): Promise<Buffer> {
  const { FS } = await h5();
  const path = `/keras-${randomUUID()}.h5`;
  let file: File | undefined;
  try {
    file = new h5wasm.File(path, 'w');
    write(file);
    file.close();
    file = undefined;
    return Buffer.from(FS.readFile(path));
  } finally {
    try {
      file?.close();
    } finally {
      try {
        FS.unlink(path);
      } catch {
        // The file was never created: nothing to remove.
      }
    }
  }
}

/** The message of an h5wasm error, which is HDF5's error stack as text. */
export function hdf5ErrorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A string attribute (h5py writes Keras' attributes as variable-length strings), or undefined. */
export function stringAttribute(node: Group | Dataset, name: string): string | undefined {
  const attribute: Attribute | undefined = node.attrs[name];
  if (!attribute) return undefined;
  const value = attribute.value;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return undefined;
}

/**
 * A list-of-strings attribute as Keras writes it: one attribute, or, when it would pass HDF5's
 * 64 KiB object header limit, chunks `name0`, `name1`, ... An empty list is an empty numeric array.
 */
export function stringListAttribute(node: Group, name: string): string[] | undefined {
  const names = new Set(Object.keys(node.attrs));
  const chunks: string[] = [];
  if (names.has(name)) chunks.push(name);
  else while (names.has(`${name}${chunks.length}`)) chunks.push(`${name}${chunks.length}`);
  if (chunks.length === 0) return undefined;
  const list: string[] = [];
  for (const chunk of chunks) {
    const value = node.attrs[chunk]!.value;
    if (typeof value === 'string') list.push(value);
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) list.push(...value);
    else if (!(ArrayBuffer.isView(value) && (value as Float64Array).length === 0)) return undefined;
  }
  return list;
}
