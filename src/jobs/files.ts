/**
 * Where a job keeps its files in the FILES bucket: the upload, and the chunks the consumer splits
 * it into, all under one prefix that is deleted when the job ends.
 */
export const jobPrefix = (applicationId: number, uploadId: string) => `jobs/${applicationId}/${uploadId}/`;

export const uploadKey = (prefix: string) => `${prefix}file.json`;

export const chunkKey = (prefix: string, chunk: number) => `${prefix}chunk-${chunk}.json`;

/** What a chunk object holds: its rows and the file index of the first (for row errors). */
export interface ChunkFile {
  first: number;
  rows: unknown[];
}

/** Deletes everything a job stored (R2 deletes at most 1000 keys a call). */
export const deleteJobFiles = async (bucket: R2Bucket, prefix: string) => {
  let cursor: string | undefined;
  do {
    const listed = await bucket.list({ prefix, cursor });
    if (listed.objects.length > 0) await bucket.delete(listed.objects.map((o) => o.key));
    cursor = listed.truncated ? listed.cursor : undefined;
  } while (cursor);
};
