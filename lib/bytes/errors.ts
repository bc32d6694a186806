/**
 * The one error lib/bytes throws: a read past the end of the input or a
 * malformed varint. `offset` is the byte position where reading failed, so a
 * protocol can turn it into its own error ("truncated varint at byte 17").
 */
export class BytesError extends RangeError {
  readonly offset: number;
  readonly code: 'TRUNCATED' | 'VARINT_TOO_LONG';

  constructor(code: BytesError['code'], message: string, offset: number) {
    super(`${message} at byte ${offset}`);
    this.name = 'BytesError';
    this.code = code;
    this.offset = offset;
  }
}
