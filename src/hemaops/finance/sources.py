"""How each context's source documents are shown in the ledger, without the ledger
importing operations: a context registers a label and a link-maker for its document type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceDocument:
    """The operational document behind a posting: ``type`` is the model label
    (``distribution.shipment``), ``kind`` what the posting is for (``revenue``, ``invoice``)."""

    type: str
    id: str
    kind: str

    def __post_init__(self) -> None:
        if not self.type or not self.id or not self.kind:
            raise ValueError("a source document needs a type, an id and a kind")


@dataclass(frozen=True)
class SourceType:
    label: str
    url: Callable[[str], str | None]


_registry: dict[str, SourceType] = {}


def source_type_register(type_name: str, label: str, url: Callable[[str], str | None]) -> None:
    _registry[type_name] = SourceType(label, url)


def source_link(type_name: str, source_id: str) -> tuple[str, str | None]:
    """(what to show, where it links) for a source document; unknown types show raw."""
    registered = _registry.get(type_name)
    if registered is None:
        return f"{type_name} {source_id}", None
    return f"{registered.label} {source_id}", registered.url(source_id)
