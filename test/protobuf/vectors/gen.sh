#!/bin/sh
# Regenerate the byte-exact vectors with protoc (Debian: apt-get install protobuf-compiler).
#   NAME.txtpb --protoc --encode--> NAME.bin --protoc --decode_raw--> NAME.raw
# The message type of each vector is in the MESSAGE_TYPES table below.
set -eu
cd "$(dirname "$0")"
type_of() {
  case "$1" in
    scalars_*|zero) echo vectors.Scalars ;;
    repeated) echo vectors.Repeated ;;
    *) echo vectors.Outer ;;
  esac
}
protoc --version
for txt in *.txtpb; do
  name="${txt%.txtpb}"
  protoc --proto_path=. --encode="$(type_of "$name")" vectors.proto < "$txt" > "$name.bin"
  protoc --decode_raw < "$name.bin" > "$name.raw"
done
