/** Extensions of the photo formats Sightline decodes (sharp, heic-decode). */
export const IMAGE_EXTENSIONS = [
  'jpg',
  'jpeg',
  'png',
  'webp',
  'avif',
  'tif',
  'tiff',
  'gif',
  'heic',
  'heif',
] as const;

/** Camera RAW files, decoded through their embedded JPEG preview. */
export const RAW_EXTENSIONS = ['cr2', 'cr3', 'nef', 'arw', 'dng', 'raf', 'orf'] as const;
