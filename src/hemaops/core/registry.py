"""A small registry through which each context offers its navigation links and home
dashboard panels, so that nothing low imports anything high: core owns the registry, each
app registers in its AppConfig.ready, and the reporting app renders what is there."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class NavLink:
    label: str
    url_name: str
    roles: frozenset[str]
    order: int = 100


@dataclass(frozen=True)
class Panel:
    """A dashboard panel: ``context`` returns the template context, or None to hide it."""

    key: str
    title: str
    template: str
    roles: frozenset[str]
    context: Callable[[HttpRequest], dict[str, Any] | None]
    order: int = 100
    wide: bool = False  # spans the whole dashboard row (tables)


@dataclass
class Registry:
    nav_links: list[NavLink] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)

    def add_nav_link(self, link: NavLink) -> None:
        if all(existing.url_name != link.url_name for existing in self.nav_links):
            self.nav_links.append(link)

    def add_panel(self, panel: Panel) -> None:
        if all(existing.key != panel.key for existing in self.panels):
            self.panels.append(panel)

    def nav_for(self, role_names: frozenset[str]) -> list[NavLink]:
        return sorted((link for link in self.nav_links if link.roles & role_names), key=lambda x: x.order)

    def panels_for(self, role_names: frozenset[str]) -> list[Panel]:
        return sorted((panel for panel in self.panels if panel.roles & role_names), key=lambda x: x.order)


registry = Registry()
