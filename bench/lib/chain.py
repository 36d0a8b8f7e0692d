#!/usr/bin/python3
"""Chains audit entries like commissiond's chainer (src/db/audit_chain.c, src/common/audit_hash.c).

stdin: COPY text lines "COLUMNS<TAB>audit_entry_text", in chain order, where COLUMNS are the audit_log columns the
generator sets (bench/run: id, at, commission_id, ... status), passed through unchanged; the id must be the
entry's position (1, 2, 3...), else chain.py fails. stdout: COPY text lines
"COLUMNS<TAB>pos<TAB>prev<TAB>hash" for `COPY audit_log (..., chain_pos, prev_hash, hash) FROM STDIN`, where
hash = BLAKE2b-256(prev hash || pos as 8 bytes big-endian || text), prev and hash as bytea (\\x hex), prev \\N for the
first entry.
"""
import hashlib
import sys


def main() -> int:
    prev = None
    prev_field = b"\\N"
    pos = 0
    out = sys.stdout.buffer
    buf = []
    blake2b = hashlib.blake2b
    for line in sys.stdin.buffer:
        columns, _, text = line.rstrip(b"\n").rpartition(b"\t")
        if b"\\" in text:
            sys.stderr.write("chain.py: escaped character in an audit text (not expected from the generator)\n")
            return 1
        pos += 1
        if not columns.startswith(b"%d\t" % pos):
            sys.stderr.write("chain.py: entry %d is not the next in chain order: %r\n" % (pos, columns[:40]))
            return 1
        h = blake2b(digest_size=32)
        if prev is not None:
            h.update(prev)
        h.update(pos.to_bytes(8, "big"))
        h.update(text)
        digest = h.digest()
        field = b"\\\\x" + digest.hex().encode()
        buf.append(b"%s\t%d\t%s\t%s\n" % (columns, pos, prev_field, field))
        prev = digest
        prev_field = field
        if len(buf) >= 10000:
            out.write(b"".join(buf))
            buf.clear()
    out.write(b"".join(buf))
    return 0


if __name__ == "__main__":
    sys.exit(main())
