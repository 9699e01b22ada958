"""Weights files: arrays read from a numpy .npz or a PyTorch state_dict (.pt, .pth).

Only arrays are ever read: an .npz through numpy with allow_pickle=False (an object array is
refused), a .pt through torch.load(weights_only=True), PyTorch's loader that builds tensors
and plain containers and never runs a pickled object's code. Both formats are zip archives:
their members' uncompressed sizes are checked before anything is read, so a small file that
inflates to gigabytes is refused too. numpy and torch are imported here, when a file is read.
"""

import os
import stat
import zipfile
from pathlib import Path

from .errors import BadFile, InputError, TooLarge

MAX_WEIGHTS_BYTES = 256 * 2**20   # 256 MiB, on disk and uncompressed: H = 512 float64 LSTM
                                  # weights are 17 MB; N = 256 sequences of T = 1,000 one-hot
                                  # inputs of D = 64 are 131 MB
MAX_ARRAYS = 64                   # arrays in one file (an LSTM state_dict with a head has 6)
KINDS = "fiub"                    # float, signed and unsigned integer, boolean arrays
SUFFIXES = (".npz", ".pt", ".pth")


def _size_checked(path: Path, where: str) -> None:
    """Refuse a missing file, a folder, a file beyond the limit, or an archive that inflates
    beyond it."""
    try:
        info = os.stat(path)
        size = info.st_size
    except FileNotFoundError:
        raise BadFile("no such file", where=where) from None
    except (OSError, ValueError) as e:
        raise BadFile(f"cannot read it: {getattr(e, 'strerror', None) or e}", where=where) \
            from None
    if stat.S_ISDIR(info.st_mode):
        raise BadFile("is a folder, expected an .npz or .pt file", where=where)
    if not stat.S_ISREG(info.st_mode):    # a pipe or a device: a zip archive must be seekable
        raise BadFile("is not a regular file (a pipe or a device); an .npz or .pt file is "
                      "read from disk", where=where)
    if size > MAX_WEIGHTS_BYTES:
        raise TooLarge(f"the file is {size:,} bytes; at most {MAX_WEIGHTS_BYTES:,} are read",
                       where=where)
    try:
        with zipfile.ZipFile(path) as z:
            members = z.infolist()
    except (zipfile.BadZipFile, OSError):
        raise BadFile("not a zip archive: expected an .npz written by numpy.savez or a .pt "
                      "written by torch.save", where=where) from None
    total = sum(m.file_size for m in members)
    if total > MAX_WEIGHTS_BYTES:
        raise TooLarge(f"the archive holds {total:,} bytes uncompressed; at most "
                       f"{MAX_WEIGHTS_BYTES:,} are read", where=where)


def _npz(path: Path, where: str) -> dict:
    import numpy as np
    out = {}
    try:
        with np.load(path, allow_pickle=False) as f:
            names = list(f.files)
            if len(names) > MAX_ARRAYS:
                raise TooLarge(f"{len(names)} arrays; at most {MAX_ARRAYS} are read", where=where)
            for name in names:
                try:
                    arr = f[name]
                except ValueError:
                    raise BadFile(f"{name!r} is an object array (a pickle); only numeric "
                                  "arrays are read", where=where) from None
                out[name] = arr
    except (InputError, KeyboardInterrupt):
        raise
    except Exception as e:   # numpy's own errors on a damaged archive or array header
        raise BadFile(f"not a readable .npz: {type(e).__name__}: {e}", where=where) from None
    return out


def _torch_file(path: Path, where: str, keep_dtype: bool = False) -> dict:
    try:
        import torch
    except ImportError:
        raise InputError("reading a .pt or .pth file needs PyTorch; install the torch extra: "
                         "pip install 'rnn-solve[torch]' (or save the arrays with numpy.savez)",
                         where=where) from None
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception as e:   # weights_only refuses anything that is not tensors and containers
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise BadFile(f"not a state_dict of tensors (torch.load with weights_only=True "
                      f"refused it: {first[:200]})", where=where) from None
    if not isinstance(obj, dict):
        raise BadFile(f"expected a state_dict (a dict of tensors), found "
                      f"{type(obj).__name__}", where=where)
    if len(obj) > MAX_ARRAYS:
        raise TooLarge(f"{len(obj)} entries; at most {MAX_ARRAYS} are read", where=where)
    out = {}
    for k, v in obj.items():
        if not isinstance(k, str) or not isinstance(v, torch.Tensor):
            raise BadFile(f"entry {str(k)[:60]!r} is a {type(v).__name__}, expected a tensor "
                          "(a state_dict of one model; save model.state_dict())", where=where)
        keep = keep_dtype and v.dtype in (torch.float16, torch.float32, torch.float64)
        out[k] = v.detach().to(torch.float64).numpy() if v.is_floating_point() and not keep \
            else v.detach().numpy()
    return out


def read_arrays(path, where: str | None = None, answers: bool = False) -> dict:
    """The arrays of an .npz or .pt/.pth file by name (numpy arrays), each checked: numeric,
    finite, and not empty. `answers`: a student's gradients (check --answers), whose dtype
    is kept (it sets the precision they are judged at) and which may hold NaN (a wrong
    answer, not bad input)."""
    import numpy as np
    from .outputs import note_input
    path = Path(path)
    where = where or str(path)
    note_input(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise BadFile(f"expected a file ending in .npz, .pt or .pth, found {suffix or 'none'}",
                      where=where)
    _size_checked(path, where)
    arrays = _npz(path, where) if suffix == ".npz" else _torch_file(path, where, answers)
    for name, arr in arrays.items():
        if arr.dtype.kind not in KINDS:
            raise BadFile(f"{name!r} has dtype {arr.dtype}, expected numbers", where=where)
        if arr.size == 0:
            raise BadFile(f"{name!r} is empty", where=where)
        if arr.ndim > 3:
            raise BadFile(f"{name!r} has {arr.ndim} dimensions, at most 3 are meaningful "
                          "(N x T x D)", where=where)
        if arr.dtype.kind == "f" and not answers and not np.isfinite(arr).all():
            raise BadFile(f"{name!r} holds NaN or infinity", where=where)
    return arrays
