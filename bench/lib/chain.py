#!/usr/bin/python3
"""Chains audit entries like commissiond's chainer (src/db/audit_chain.c, src/common/audit_hash.c).

stdin: COPY text lines "id<TAB>audit_entry_text", in chain order. stdout: COPY text lines
"id<TAB>pos<TAB>prev_hex<TAB>hash_hex" where hash = BLAKE2b-256(prev hash || pos as 8 bytes big-endian || text),
prev_hex is \\N for the first entry.
"""
import hashlib
import sys


def main() -> int:
    prev = None
    pos = 0
    out = sys.stdout.buffer
    buf = []
    for line in sys.stdin.buffer:
        ident, _, text = line.rstrip(b"\n").partition(b"\t")
        if b"\\" in text:
            sys.stderr.write("chain.py: escaped character in an audit text (not expected from the generator)\n")
            return 1
        pos += 1
        h = hashlib.blake2b(digest_size=32)
        if prev is not None:
            h.update(prev)
        h.update(pos.to_bytes(8, "big"))
        h.update(text)
        digest = h.digest()
        buf.append(b"%s\t%d\t%s\t%s\n" % (ident, pos, prev.hex().encode() if prev is not None else b"\\N",
                                          digest.hex().encode()))
        prev = digest
        if len(buf) >= 10000:
            out.write(b"".join(buf))
            buf.clear()
    out.write(b"".join(buf))
    return 0


if __name__ == "__main__":
    sys.exit(main())
