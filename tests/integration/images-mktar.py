#!/usr/bin/python3
"""images-mktar.py OUT SPEC... - write a tar archive entry by entry, including the
hostile entries berth must refuse (tar(1) will not write most of them).

SPEC is KIND:NAME[:ARG[:ARG]]:
  file:NAME:CONTENT        dir:NAME          symlink:NAME:TARGET
  hardlink:NAME:TARGET     chardev:NAME:MAJOR:MINOR    fifo:NAME
  owned:NAME:UID:GID       (a file "x" owned by UID:GID, mode 4755)
  big:NAME:MEGABYTES       (a file of random-looking bytes, the same every time)
  xattr:NAME:KEY:VALUE     (a file with an extended attribute)
OUT ending in .gz, .xz or .bz2 is compressed accordingly."""
import io
import random
import sys
import tarfile

MTIME = 1700000000


def entry(name, kind, **kw):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mtime = MTIME
    ti.mode = kw.get("mode", 0o644)
    ti.uid = kw.get("uid", 0)
    ti.gid = kw.get("gid", 0)
    for k in ("linkname", "devmajor", "devminor"):
        if k in kw:
            setattr(ti, k, kw[k])
    return ti


def main():
    out, specs = sys.argv[1], sys.argv[2:]
    mode = "w"
    for ext, m in ((".gz", "w:gz"), (".xz", "w:xz"), (".bz2", "w:bz2")):
        if out.endswith(ext):
            mode = m
    with tarfile.open(out, mode, format=tarfile.PAX_FORMAT) as tar:
        for spec in specs:
            kind, name, *args = spec.split(":")
            if kind == "file":
                data = (args[0] if args else "").encode()
                ti = entry(name, tarfile.REGTYPE)
                ti.size = len(data)
                tar.addfile(ti, io.BytesIO(data))
            elif kind == "owned":
                ti = entry(name, tarfile.REGTYPE, uid=int(args[0]), gid=int(args[1]), mode=0o4755)
                ti.size = 1
                tar.addfile(ti, io.BytesIO(b"x"))
            elif kind == "big":
                size = int(args[0]) << 20
                ti = entry(name, tarfile.REGTYPE)
                ti.size = size
                tar.addfile(ti, io.BytesIO(random.Random(name).randbytes(size)))
            elif kind == "xattr":
                ti = entry(name, tarfile.REGTYPE)
                ti.pax_headers = {"SCHILY.xattr." + args[0]: args[1]}
                tar.addfile(ti, io.BytesIO(b""))
            elif kind == "dir":
                tar.addfile(entry(name, tarfile.DIRTYPE, mode=0o755))
            elif kind == "symlink":
                tar.addfile(entry(name, tarfile.SYMTYPE, linkname=args[0], mode=0o777))
            elif kind == "hardlink":
                tar.addfile(entry(name, tarfile.LNKTYPE, linkname=args[0]))
            elif kind == "chardev":
                tar.addfile(entry(name, tarfile.CHRTYPE, devmajor=int(args[0]), devminor=int(args[1])))
            elif kind == "fifo":
                tar.addfile(entry(name, tarfile.FIFOTYPE))
            else:
                sys.exit("images-mktar.py: unknown kind " + kind)


main()
