import struct, zlib
def chunk(t, body, crc=None):
    c = zlib.crc32(t + body) & 0xffffffff if crc is None else crc
    return struct.pack('>I', len(body)) + t + body + struct.pack('>I', c)
def solid(w, h, rgb):
    raw = b''.join(b'\x00' + bytes(rgb + (255,)) * w for _ in range(h))
    return zlib.compress(raw, 9)
COLOURS = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (200, 200, 30), (30, 200, 200)]
def apng(frames, declared=None, w=32, h=32):
    """frames: list of (w, h, x, y); returns (bytes, list of (frame index, kind, offset, length))"""
    out = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0))
    out += chunk(b'acTL', struct.pack('>II', declared if declared is not None else len(frames), 0))
    seq = 0; marks = []
    for i, (fw, fh, x, y) in enumerate(frames):
        out += chunk(b'fcTL', struct.pack('>IIIIIHHBB', seq, fw, fh, x, y, 10, 100, 0, 0)); seq += 1
        data = solid(fw, fh, COLOURS[i % len(COLOURS)])
        marks.append((i, len(out), len(data)))
        if i == 0:
            out += chunk(b'IDAT', data)
        else:
            out += chunk(b'fdAT', struct.pack('>I', seq) + data); seq += 1
    return out + chunk(b'IEND', b''), marks
full = [(32, 32, 0, 0)] * 4
# A wrong CRC on frame 2's fdAT: frames 0 and 1 stand.
b, marks = apng(full); _, off, ln = marks[2]; end = off + 12 + 4 + ln
b = bytearray(b); b[end - 1] ^= 0xFF
open('apng_bad_crc_in_frame_2__CutShort.png', 'wb').write(b)
# Cut in the middle of frame 3's fdAT: the still decoder's container check refuses the cut file.
b, marks = apng(full); _, off, ln = marks[3]
open('apng_cut_mid_fdat_of_frame_3__Truncated.png', 'wb').write(b[:off + 8 + 4 + ln // 2])
# Frame 3's fdAT claims 2 GB: refused as truncated like any PNG chunk longer than the file.
b, marks = apng(full); _, off, ln = marks[3]; b = bytearray(b); b[off:off + 4] = struct.pack('>I', 0x7FFFFFF0)
open('apng_fdat_length_claims_2gb__Truncated.png', 'wb').write(b)
# Frame 1 is 16 wide at x = 20 on a 32-wide canvas.
b, _ = apng([(32, 32, 0, 0), (16, 16, 20, 0), (32, 32, 0, 0)])
open('apng_frame_outside_canvas__Corrupt.png', 'wb').write(b)
# The stream ends right after frame 3's fcTL (whole chunks, no IEND): frames 0-2 stand.
b, marks = apng(full); _, off, _ = marks[3]
open('apng_ends_after_fctl_of_frame_3__CutShort.png', 'wb').write(b[:off])
# acTL declares 4294967295 frames; the file holds 3.
b, _ = apng([(32, 32, 0, 0)] * 3, declared=0xFFFFFFFF)
open('apng_declares_4294967295_frames__Corrupt.png', 'wb').write(b)
