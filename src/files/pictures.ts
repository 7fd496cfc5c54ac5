/**
 * Users' display pictures stored here. They live in R2 beside message files, under channel `0`
 * (`<app>/0/<uuid>`; no channel has id 0, so no channel delete reaches them), and are served by
 * the same download route. A picture is deleted once no user of the application shows it any
 * more: when its user gets another picture, or is deleted (files/deletions.ts). Only image types
 * browsers show inline, and never SVG (it runs scripts).
 */
import type { StoredFile } from "../db/schema";
import { putFile } from "./storage";

/** The channel segment of a picture's key and URL. */
export const PICTURE_CHANNEL = 0;

export const PICTURE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"] as const;

/** Leading bytes of each type, for a part sent without a type of its own (a bare Blob). */
const SIGNATURES: [type: (typeof PICTURE_TYPES)[number], at: number, bytes: number[]][] = [
  ["image/png", 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ["image/jpeg", 0, [0xff, 0xd8, 0xff]],
  ["image/gif", 0, [0x47, 0x49, 0x46, 0x38]],
  ["image/webp", 8, [0x57, 0x45, 0x42, 0x50]],
  ["image/avif", 4, [0x66, 0x74, 0x79, 0x70, 0x61, 0x76, 0x69, 0x66]],
];

const UNTYPED = new Set(["", "application/octet-stream"]);

/**
 * The picture type of an upload: its declared type when that is one of PICTURE_TYPES, or, when
 * it declares none, the type its first bytes show; undefined when it is not a picture.
 */
export const pictureType = async (file: File): Promise<string | undefined> => {
  const declared = file.type.split(";")[0]!.trim().toLowerCase();
  if ((PICTURE_TYPES as readonly string[]).includes(declared)) return declared;
  if (!UNTYPED.has(declared)) return undefined;
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  return SIGNATURES.find(([, at, bytes]) => bytes.every((b, i) => head[at + i] === b))?.[0];
};

/** Stores a picture of `type` and returns it as stored (its `url` is what users show). */
export const putPicture = (bucket: R2Bucket, baseUrl: string, applicationId: number, file: File, type: string): Promise<StoredFile> =>
  putFile(bucket, baseUrl, applicationId, PICTURE_CHANNEL, new File([file], file.name, { type }));
