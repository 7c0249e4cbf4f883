"""Printable PDF batches of approved Red Cross messages (no Telegram here).

Public surface: ``render_batch`` (synchronous, CPU bound), ``render_batch_async`` (runs it
in a worker process), ``read_reference`` (a reference from a photo of a reply part) and the
input dataclasses ``PrintItem`` and ``BatchHeader``.
"""

from relay.export.batch_pdf import render_batch
from relay.export.items import BatchHeader, PrintItem

__all__ = ["BatchHeader", "PrintItem", "render_batch"]
