"""Files in the sandbox: bytes a bot or a simulated user sent, addressable by file_id."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]  # as in sandbox.state, which imports this module


@dataclass
class StoredFile:
    """Bytes uploaded by a bot or a simulated user, addressable by file_id."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    duration: int = 0

    def to_api_file(self) -> JSON:
        """Render as a Telegram File object (the answer of getFile)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }

    def media_api(self) -> JSON:
        """Render as the media object a Message carries for this kind of file."""
        out: JSON = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.kind in ("photo", "sticker"):
            out["width"], out["height"] = self.width, self.height
        if self.kind == "sticker":
            out.update(type="regular", is_animated=False, is_video=False)
        if self.kind == "voice":
            out["duration"] = self.duration
        if self.file_name is not None:
            out["file_name"] = self.file_name
        if self.mime_type is not None and self.kind in ("document", "voice"):
            out["mime_type"] = self.mime_type
        return out


def new_file(
    n: int,
    kind: str,
    data: bytes,
    *,
    file_name: str | None = None,
    mime_type: str | None = None,
    duration: int = 0,
) -> StoredFile:
    """Return the n-th stored file, its id and path shaped like Telegram's."""
    width = height = 0
    if kind in ("photo", "sticker"):
        width, height = _image_size(data)
    ext = {"photo": "jpg", "sticker": "webp", "voice": "oga"}.get(kind)
    if ext is None:
        ext = file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else "bin"
    return StoredFile(
        file_id=f"SBX{kind[:3].upper()}{n:08d}",
        file_unique_id=f"U{n:08d}",
        kind=kind,
        data=data,
        file_path=f"{kind}s/file_{n}.{ext}",
        file_name=file_name,
        mime_type=mime_type,
        width=width,
        height=height,
        duration=duration,
    )


def _image_size(data: bytes) -> tuple[int, int]:
    """Return the pixel size of an image, or a nominal size when it is not a readable image."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            return int(width), int(height)
    # Tests may send arbitrary bytes as a "photo"; Telegram would reject them, we stay lenient.
    except Exception:
        return 1, 1
