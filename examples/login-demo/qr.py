"""A QR code of a pairing URI as an SVG, drawn from Debian's libqrencode (the library hsm2fad
links) through ctypes. None when the library is missing: the page then shows the code alone."""

import ctypes
import ctypes.util


class _QRcode(ctypes.Structure):
    _fields_ = [("version", ctypes.c_int), ("width", ctypes.c_int),
                ("data", ctypes.POINTER(ctypes.c_ubyte))]


def _load():
    name = ctypes.util.find_library("qrencode") or "libqrencode.so.4"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.QRcode_encodeString.restype = ctypes.POINTER(_QRcode)
    lib.QRcode_encodeString.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                        ctypes.c_int]
    lib.QRcode_free.argtypes = [ctypes.POINTER(_QRcode)]
    return lib


_LIB = _load()
_ECLEVEL_M, _MODE_8 = 1, 2
QUIET = 4  # the quiet zone the QR standard asks for


def svg(text):
    if _LIB is None:
        return None
    code = _LIB.QRcode_encodeString(text.encode("utf-8"), 0, _ECLEVEL_M, _MODE_8, 1)
    if not code:
        return None
    try:
        width = code.contents.width
        cells = code.contents.data
        dark = [(x, y) for y in range(width) for x in range(width) if cells[y * width + x] & 1]
        ctypes.memset(cells, 0, width * width)  # the matrix encodes the secret
    finally:
        _LIB.QRcode_free(code)
    size = width + 2 * QUIET
    path = "".join(f"M{x + QUIET} {y + QUIET}h1v1h-1z" for x, y in dark)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
            f'shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/>'
            f'<path fill="#000" d="{path}"/></svg>')
