/**
 * Reads a request body but stops at `limit` bytes, so an oversized delivery costs at most the
 * limit in memory and is answered 413 instead of being buffered whole.
 */
export async function readBodyLimited(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | null | undefined,
  limit: number,
  declaredLength?: string | null,
): Promise<Buffer | 'tooLarge'> {
  if (declaredLength && Number(declaredLength) > limit) return 'tooLarge';
  if (!body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) return 'tooLarge';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
