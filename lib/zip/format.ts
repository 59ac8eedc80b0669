/**
 * The numbers of the zip format (PKWARE APPNOTE) that the reader and the writer share: record
 * signatures, fixed record sizes, flags and methods.
 */

export const LOCAL_HEADER_SIG = 0x04034b50;
export const CENTRAL_HEADER_SIG = 0x02014b50;
export const DATA_DESCRIPTOR_SIG = 0x08074b50;
export const ZIP64_END_SIG = 0x06064b50;
export const ZIP64_LOCATOR_SIG = 0x07064b50;
export const END_SIG = 0x06054b50;

export const LOCAL_HEADER_SIZE = 30;
export const CENTRAL_HEADER_SIZE = 46;
export const ZIP64_END_SIZE = 56;
export const ZIP64_LOCATOR_SIZE = 20;
export const END_SIZE = 22;
/** Extra-field id of the Zip64 extended information. */
export const ZIP64_EXTRA_ID = 0x0001;

/** General-purpose flag bit 3: sizes and CRC follow the data in a data descriptor. */
export const FLAG_DATA_DESCRIPTOR = 1 << 3;
/** General-purpose flag bit 11: the name is UTF-8. */
export const FLAG_UTF8 = 1 << 11;

export const METHOD_STORE = 0;
export const METHOD_DEFLATE = 8;

export const UINT16_MAX = 0xffff;
export const UINT32_MAX = 0xffffffff;
