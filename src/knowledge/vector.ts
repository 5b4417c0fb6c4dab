// Embeddings as the knowledge base stores and compares them. Vectors are scaled to unit length
// once, when stored, so cosine similarity is a plain dot product at query time.

export function normalize(vector: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] as number) ** 2;
  const norm = Math.sqrt(sum) || 1;
  const unit = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) unit[i] = (vector[i] as number) / norm;
  return unit;
}

/** Little-endian float32 bytes, whatever the platform's byte order. */
export function toBytes(vector: Float32Array): Uint8Array {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i] as number, true);
  return bytes;
}

export function fromBytes(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vector = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < vector.length; i++) vector[i] = view.getFloat32(i * 4, true);
  return vector;
}

/** The vector's signs as a bit string ("1" for a positive component): its binary quantization. */
export function signBits(vector: ArrayLike<number>): string {
  let bits = "";
  for (let i = 0; i < vector.length; i++) bits += (vector[i] as number) > 0 ? "1" : "0";
  return bits;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

/** The `k` highest-scoring items, best first (a full sort: k and the candidate lists are small). */
export function topK<T extends { score: number }>(items: T[], k: number): T[] {
  return items.sort((a, b) => b.score - a.score).slice(0, k);
}
